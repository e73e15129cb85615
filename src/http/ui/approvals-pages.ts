import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApprovalDecision, DecideResult } from '../../policy/approval-types.ts';
import type { RunRecord } from '../../types.ts';
import { withRedis } from '../redis-guard.ts';
import type { ConsoleContext, PageFrame } from './console-context.ts';
import { approvalView, decideView, pendingApproval, runRow, stepView } from './run-view.ts';
import { notFound, sendRun } from './runs-pages.ts';
import { decisionNotice, runHref, timeView } from './views.ts';

const MAX_COMMENT = 500;
/** Runs waiting at once are few; more than this is a backlog the page says it cut. */
const MAX_LISTED = 200;

type Form = Record<string, string | undefined>;

const listSchema = {
  hide: true,
  querystring: { type: 'object', properties: { fragment: { type: 'string' }, done: { type: 'string' } } },
};
const decideSchema = {
  hide: true,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 300 } } },
};

/** Why a decision was refused, in words, by the approval service's code. */
const REFUSED: Readonly<Record<Extract<DecideResult, { ok: false }>['code'], string>> = {
  E_NOT_FOUND: 'There is no such run.',
  E_NOT_AWAITING:
    'This run is not waiting for approval any more: someone answered already, or it never asked.',
  E_EXPIRED: 'The approval request expired before your answer arrived.',
  E_STALE: 'The steps changed since this page was shown. Look at them again before answering.',
  E_SUPERSEDED:
    'The run asked again since this page was shown: your answer was for the earlier request. Look at the new one before answering.',
};

/** GET /ui/approvals (runs waiting, soonest expiry first) and the Approve / Deny forms' POSTs. */
export function approvalsPages(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: { fragment?: string; done?: string } }>(
    '/ui/approvals',
    { schema: listSchema },
    async (request, reply) => {
      const view = await approvalsView(ctx, request);
      if (request.query.fragment !== undefined) return ctx.fragment(reply, 'approvals-list', view);
      const done = decisionNotice(request.query.done);
      return ctx.page(request, reply, 'approvals', view, {
        title: 'Approvals',
        nav: 'approvals',
        ...(done ? { notice: done } : {}),
      });
    },
  );
  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: Form }>(
      `/ui/runs/:id/${decision}`,
      { schema: decideSchema },
      async (request, reply) => decide(ctx, request, reply, decision),
    );
  }
}

async function approvalsView(ctx: ConsoleContext, request: FastifyRequest) {
  const now = ctx.now();
  const { runs, nextOffset } = await withRedis(() =>
    ctx.deps.store.list({ status: 'awaiting_approval', limit: MAX_LISTED, offset: 0 }),
  );
  const csrf = ctx.csrf(request);
  const items = runs
    .map((run) => ({ run, approval: pendingApproval(run) }))
    .sort((a, b) => (a.approval?.expiresAt ?? '').localeCompare(b.approval?.expiresAt ?? ''))
    .map(({ run, approval }) => ({
      ...runRow(run, now),
      alert: run.alert.annotations['summary'] ?? '',
      approval: approval === undefined ? undefined : approvalView(approval, now),
      steps: run.steps
        .slice(approval?.step ?? 0)
        .map((step, i) => stepView(step, (approval?.step ?? 0) + i, now)),
      decide: ctx.deps.approvals ? decideView(run, csrf, 'approvals') : undefined,
    }));
  return {
    enabled: ctx.deps.approvals !== undefined,
    items,
    more: nextOffset !== undefined,
    refreshUrl: '/ui/approvals?fragment=1',
    updatedAt: timeView(new Date(now).toISOString(), now),
  };
}

async function decide(
  ctx: ConsoleContext,
  request: FastifyRequest<{ Params: { id: string }; Body: Form }>,
  reply: FastifyReply,
  decision: ApprovalDecision,
) {
  const { id } = request.params;
  const form = request.body ?? {};
  const back = form['back'] === 'approvals' ? 'approvals' : 'run';
  const approvals = ctx.deps.approvals;
  const fail = (status: number, error: string) =>
    refused(ctx, request, reply, id, back, { title: 'Approval', status, error });
  if (!approvals)
    return fail(404, 'Approvals are not enabled in this process, so it cannot record an answer.');
  const comment = [...(form['comment'] ?? '').trim()];
  if (decision === 'deny' && comment.length === 0)
    return fail(400, 'Say why you deny the run: the reason is recorded with the answer.');
  if (comment.length > MAX_COMMENT)
    return fail(400, `The comment is ${comment.length} characters; at most ${MAX_COMMENT} are kept.`);
  const requestId = form['request'] ?? '';
  if (requestId === '')
    return fail(
      400,
      'The form does not say which approval request it answers. Reload the page and try again.',
    );
  const by = ctx.visitor(request).name ?? 'operator';
  const result = await withRedis(() =>
    approvals.decide({
      runId: id,
      requestId,
      decision,
      by,
      via: 'console',
      ...(comment.length ? { comment: comment.join('') } : {}),
    }),
  );
  if (!result.ok) {
    request.log.info({ run: id, decision, by, code: result.code }, 'console: approval answer refused');
    return fail(result.httpStatus, `${REFUSED[result.code]} (${result.code}: ${result.message})`);
  }
  request.log.info({ run: id, decision, by }, 'console: approval answered');
  const done = decision === 'approve' ? 'approved' : 'denied';
  return reply.redirect(
    back === 'approvals' ? `/ui/approvals?done=${done}` : `${runHref(id)}?done=${done}`,
    303,
  );
}

/** Shows a refused answer on the page it came from: the run itself, or the approvals list. */
async function refused(
  ctx: ConsoleContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  back: 'run' | 'approvals',
  frame: PageFrame,
) {
  if (back === 'approvals') {
    return ctx.page(request, reply, 'approvals', await approvalsView(ctx, request), {
      ...frame,
      nav: 'approvals',
    });
  }
  const run: RunRecord | undefined = await withRedis(() => ctx.deps.store.get(id));
  if (!run) return notFound(ctx, request, reply, id);
  return sendRun(ctx, request, reply, run, { ...frame, nav: 'runs' });
}
