import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { withRedis } from '../redis-guard.ts';
import { createPause, listPauses } from '../pause-actions.ts';
import type { ConsoleContext, PageFrame } from './console-context.ts';
import { timeView } from './views.ts';

type Form = Record<string, string | undefined>;

/** What the create form held, to show it again with the problems when it is refused. */
interface PauseForm {
  readonly matchers: string;
  readonly duration: string;
  readonly comment: string;
}

const EMPTY_FORM: PauseForm = { matchers: '', duration: '2h', comment: '' };
/** Expired pauses listed below the active ones, newest first. */
const EXPIRED_SHOWN = 20;

const schema = { hide: true };
const idSchema = {
  hide: true,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } },
};

/**
 * GET /ui/pauses (active and recently expired), POST /ui/pauses (create: matchers one per line in
 * Alertmanager syntax, a duration, a comment) and POST /ui/pauses/:id/expire. Creation goes through the
 * same checks and store as POST /api/v1/pauses; the creator is the logged-in operator.
 */
export function pausesPages(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: { done?: string } }>('/ui/pauses', { schema }, async (request, reply) =>
    sendPauses(ctx, request, reply, EMPTY_FORM, {
      title: 'Pauses',
      nav: 'pauses',
      ...notice(request.query.done),
    }),
  );
  app.post<{ Body: Form }>('/ui/pauses', { schema }, async (request, reply) => {
    const body = request.body ?? {};
    const form: PauseForm = {
      matchers: body['matchers'] ?? '',
      duration: body['duration'] ?? '',
      comment: body['comment'] ?? '',
    };
    const matchers = form.matchers
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const by = ctx.visitor(request).name ?? 'operator';
    const created = await createPause(
      ctx.deps.stores.pauses,
      { matchers, duration: form.duration.trim(), comment: form.comment, createdBy: by },
      ctx.deps.now(),
    );
    if (!created.ok) {
      return sendPauses(
        ctx,
        request,
        reply,
        form,
        { title: 'Pauses', nav: 'pauses', status: 400 },
        created.problems,
      );
    }
    request.log.info({ pause: created.pause, via: 'console' }, 'pause created');
    return reply.redirect('/ui/pauses?done=created', 303);
  });
  app.post<{ Params: { id: string }; Body: Form }>(
    '/ui/pauses/:id/expire',
    { schema: idSchema },
    async (request, reply) => {
      const ended = await withRedis(() => ctx.deps.stores.pauses.expire(request.params.id, ctx.now()));
      if (!ended) {
        const frame = {
          title: 'Pauses',
          nav: 'pauses' as const,
          status: 404,
          error: `There is no pause with id ${request.params.id}.`,
        };
        return sendPauses(ctx, request, reply, EMPTY_FORM, frame);
      }
      request.log.info(
        { pause: request.params.id, by: ctx.visitor(request).name, via: 'console' },
        'pause expired',
      );
      return reply.redirect('/ui/pauses?done=expired', 303);
    },
  );
}

function notice(done: string | undefined): { notice?: string } {
  if (done === 'created')
    return { notice: 'Pause created: matching alerts are recorded as skipped until it expires.' };
  if (done === 'expired') return { notice: 'Pause expired: matching alerts are remediated again.' };
  return {};
}

async function sendPauses(
  ctx: ConsoleContext,
  request: FastifyRequest,
  reply: FastifyReply,
  form: PauseForm,
  frame: PageFrame,
  problems: string[] = [],
): Promise<FastifyReply> {
  const now = ctx.now();
  const all = await listPauses(ctx.deps.stores.pauses, now);
  const csrf = ctx.csrf(request);
  const view = (p: (typeof all)[number]) => ({
    ...p,
    created: timeView(p.createdAt, now),
    expires: timeView(p.expiresAt, now),
    expireUrl: `/ui/pauses/${encodeURIComponent(p.id)}/expire`,
  });
  const byExpiry = (a: { expiresAt: string }, b: { expiresAt: string }) =>
    b.expiresAt.localeCompare(a.expiresAt);
  return ctx.page(
    request,
    reply,
    'pauses',
    {
      active: all
        .filter((p) => p.active)
        .sort(byExpiry)
        .map(view),
      expired: all
        .filter((p) => !p.active)
        .sort(byExpiry)
        .slice(0, EXPIRED_SHOWN)
        .map(view),
      form,
      problems,
      csrf,
    },
    frame,
  );
}
