import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunStatus, RunRecord } from '../../types.ts';
import { withRedis } from '../redis-guard.ts';
import type { ConsoleContext, PageFrame } from './console-context.ts';
import { decideView, pendingApproval, runDetail, runRow } from './run-view.ts';
import { decisionNotice, RUN_STATUSES, runsHref, runStatusView, timeView } from './views.ts';

const PAGE_SIZE = 50;

interface ListQuery {
  status?: RunStatus | '';
  runbook?: string;
  target?: string;
  offset?: number;
  fragment?: string;
}

const listSchema = {
  hide: true,
  querystring: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['', ...RUN_STATUSES] },
      runbook: { type: 'string', maxLength: 200 },
      target: { type: 'string', maxLength: 200 },
      offset: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      fragment: { type: 'string' },
    },
  },
};
const detailSchema = {
  hide: true,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 300 } } },
  querystring: { type: 'object', properties: { fragment: { type: 'string' }, done: { type: 'string' } } },
};

/** GET /ui/runs (newest first, filtered, the table refreshing itself) and GET /ui/runs/:id. */
export function runsPages(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: ListQuery }>('/ui/runs', { schema: listSchema }, async (request, reply) => {
    const q = request.query;
    const filter = {
      ...(q.status ? { status: q.status } : {}),
      ...(q.runbook?.trim() ? { runbook: q.runbook.trim() } : {}),
      ...(q.target?.trim() ? { target: q.target.trim() } : {}),
    };
    const offset = q.offset ?? 0;
    const page = await withRedis(() => ctx.deps.store.list({ ...filter, limit: PAGE_SIZE, offset }));
    const now = ctx.now();
    const table = {
      rows: page.runs.map((run) => runRow(run, now)),
      filtered: Object.keys(filter).length > 0,
      refreshUrl: runsHref({ ...filter, offset }, { fragment: 1 }),
      pageUrl: runsHref({ ...filter, offset }),
      updatedAt: timeView(new Date(now).toISOString(), now),
      olderUrl: page.nextOffset === undefined ? undefined : runsHref({ ...filter, offset: page.nextOffset }),
      newerUrl: offset > 0 ? runsHref({ ...filter, offset: Math.max(0, offset - PAGE_SIZE) }) : undefined,
    };
    if (q.fragment) return ctx.fragment(reply, 'runs-table', table);
    const statuses = RUN_STATUSES.map((s) => ({
      value: s,
      label: runStatusView(s).label,
      selected: s === q.status,
    }));
    return ctx.page(request, reply, 'runs', { table, filter, statuses }, { title: 'Runs', nav: 'runs' });
  });
  app.get<{ Params: { id: string }; Querystring: { fragment?: string; done?: string } }>(
    '/ui/runs/:id',
    { schema: detailSchema },
    async (request, reply) => {
      const run = await withRedis(() => ctx.deps.store.get(request.params.id));
      if (!run) return notFound(ctx, request, reply, request.params.id);
      const done = decisionNotice(request.query.done);
      return sendRun(
        ctx,
        request,
        reply,
        run,
        {
          title: `Run ${run.runbook} on ${run.target}`,
          nav: 'runs',
          ...(done === undefined ? {} : { notice: done }),
        },
        request.query.fragment !== undefined,
      );
    },
  );
}

/** The run detail page (or its refreshing part alone), with Approve/Deny when it waits and approvals are on. */
export function sendRun(
  ctx: ConsoleContext,
  request: FastifyRequest,
  reply: FastifyReply,
  run: RunRecord,
  frame: PageFrame,
  fragmentOnly = false,
): FastifyReply {
  const decide =
    ctx.deps.approvals && pendingApproval(run) ? decideView(run, ctx.csrf(request), 'run') : undefined;
  const view = runDetail(run, ctx.now(), decide);
  if (fragmentOnly) return ctx.fragment(reply, 'run-body', view);
  return ctx.page(request, reply, 'run', view, frame);
}

export function notFound(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply, id: string) {
  return ctx.page(
    request,
    reply,
    'error',
    { heading: 'No such run', back: '/ui/runs' },
    {
      title: 'Not found',
      nav: 'runs',
      status: 404,
      error: `There is no run with id ${id}. Old runs are deleted after REMEDIATOR_MAX_RUNS newer ones.`,
    },
  );
}
