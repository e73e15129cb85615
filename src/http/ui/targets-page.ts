import type { FastifyInstance } from 'fastify';
import { nextTargetState } from '../../policy/target-state.ts';
import type { TargetState } from '../../stores/types.ts';
import { withRedis } from '../redis-guard.ts';
import type { ConsoleContext } from './console-context.ts';
import { runHref, runsHref, timeView, type StatusView } from './views.ts';

/** Worst first: what needs a look is at the top. */
const ORDER: readonly TargetState[] = ['failing', 'degraded', 'recovering', 'stabilizing', 'healthy'];

const STATE: Readonly<Record<TargetState, StatusView & { meaning: string }>> = {
  failing: { label: 'failing', cls: 'bad', symbol: '✗', meaning: 'a run failed and alerts still fire' },
  degraded: { label: 'degraded', cls: 'wait', symbol: '!', meaning: 'alerts fire' },
  recovering: { label: 'recovering', cls: 'wait', symbol: '▶', meaning: 'a run is acting' },
  stabilizing: { label: 'stabilizing', cls: 'info', symbol: '~', meaning: 'healed; watching for a relapse' },
  healthy: { label: 'healthy', cls: 'ok', symbol: '✓', meaning: 'nothing fires' },
};

const schema = { hide: true, querystring: { type: 'object', properties: { fragment: { type: 'string' } } } };

/**
 * GET /ui/targets: each target's state as the policy sees it. Read from the same target store the
 * worker writes and /metrics reads, settled at `now` the same way (a stabilizing target whose window
 * is over shows healthy or degraded, as the next event would make it).
 */
export function targetsPage(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: { fragment?: string } }>('/ui/targets', { schema }, async (request, reply) => {
    const now = ctx.now();
    const records = await withRedis(() => ctx.deps.stores.targets.all());
    const rows = [...records]
      .map(([name, stored]) => ({
        name,
        record: nextTargetState(stored, { kind: 'tick' }, now, ctx.deps.stabilizeMs),
      }))
      .sort(
        (a, b) => ORDER.indexOf(a.record.state) - ORDER.indexOf(b.record.state) || (a.name < b.name ? -1 : 1),
      )
      .map(({ name, record }) => ({
        name,
        state: STATE[record.state] ?? { label: record.state, cls: 'bad', symbol: '!', meaning: '' },
        since: timeView(record.since, now),
        firing: record.firing,
        lastRun:
          record.lastRun === undefined ? undefined : { id: record.lastRun, href: runHref(record.lastRun) },
        runsHref: runsHref({ target: name }),
      }));
    const counts = ORDER.map((s) => ({ ...STATE[s], count: rows.filter((r) => r.state.label === s).length }));
    const view = {
      rows,
      counts,
      refreshUrl: '/ui/targets?fragment=1',
      updatedAt: timeView(new Date(now).toISOString(), now),
    };
    if (request.query.fragment !== undefined) return ctx.fragment(reply, 'targets-table', view);
    return ctx.page(request, reply, 'targets', view, { title: 'Targets', nav: 'targets' });
  });
}
