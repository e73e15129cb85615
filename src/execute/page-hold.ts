import { errorMessage } from '../errors.ts';
import type { PageHoldEnd, PageHoldEvent, PageHoldRecord, Runbook, RunRecord } from '../types.ts';
import type { Ending } from './finish.ts';
import type { HealedHoldStore } from '../stores/redis-page-hold-store.ts';
import type { PageHoldApi } from './page-hold-alertmanager.ts';
import { holdScope } from './page-hold-scope.ts';
import { holdAfterEnding, holdsPage, holdSilence } from './page-hold-silence.ts';
import type { RunnerDeps } from './runner-deps.ts';

/** The page hold's side of the runner's deps: the Alertmanager API and the set of healed holds. */
export interface PageHoldDeps {
  readonly api: PageHoldApi;
  /** Healed runs whose hold waits for Alertmanager to see the alert resolved (page-hold-watch.ts). */
  readonly healed: HealedHoldStore;
}

type Deps = Pick<RunnerDeps, 'pageHold' | 'settings' | 'now' | 'log' | 'metrics'>;

/**
 * Holds the human page for a run about to heal: an Alertmanager silence on the alert's exact labels,
 * ending one lapse bound from now unless renewed. Once per run (a run that held and released, say for
 * an approval, does not hold again). Alertmanager unreachable: nothing is held, the run goes on.
 */
export async function startHold(deps: Deps, run: RunRecord, runbook: Runbook): Promise<void> {
  if (!deps.pageHold || run.pageHold || !holdsPage(runbook, deps.settings.pageHold)) return;
  const now = deps.now();
  const until = new Date(now.getTime() + deps.settings.pageHoldLapseMs);
  try {
    const scope = await scopeOf(deps, run);
    if (!scope.ok) return declined(deps, run, scope);
    const id = await deps.pageHold.api.create(holdSilence(run, deps.settings.publicUrl), now, until);
    run.pageHold = { state: 'held', silenceId: id, until: until.toISOString(), events: [] };
    note(run.pageHold, {
      type: 'hold:created',
      at: now.toISOString(),
      silenceId: id,
      until: until.toISOString(),
    });
    deps.metrics.pageHolds.labels(run.runbook).inc();
  } catch (err) {
    run.pageHold = { state: 'unavailable', events: [] };
    failed(deps, run, 'create', err);
  }
}

/**
 * Moves a held page's end to one lapse bound from now, when less than three quarters of it is left
 * (callers come every fifth of the lock TTL or more often; the lapse is at least one TTL).
 */
export function renewHold(deps: Deps, run: RunRecord, force = false): Promise<boolean> {
  let renewed = false;
  return serially(run, async () => void (renewed = await renewNow(deps, run, force))).then(() => renewed);
}

/**
 * A renewal while the run acts, written onto its record at once (the runner saves the whole record
 * only between steps): any process can then see and release the hold, under its current id.
 */
export async function renewHoldOfRunning(
  deps: Deps & Pick<RunnerDeps, 'store'>,
  run: RunRecord,
): Promise<void> {
  if (!(await renewHold(deps, run))) return;
  const hold = structuredClone(run.pageHold);
  await deps.store
    .update(run.id, (r) =>
      r.status === 'running' && r.fence === run.fence ? { ...r, pageHold: hold } : undefined,
    )
    .catch((err: unknown) =>
      deps.log.warn({ runId: run.id, err: errorMessage(err) }, 'page hold renewal not recorded'),
    );
}

async function renewNow(deps: Deps, run: RunRecord, force: boolean): Promise<boolean> {
  const hold = run.pageHold;
  if (!deps.pageHold || !hold?.silenceId || (hold.state !== 'held' && hold.state !== 'healed')) return false;
  const now = deps.now();
  const lapse = deps.settings.pageHoldLapseMs;
  if (!force && hold.until && Date.parse(hold.until) - now.getTime() > (lapse * 3) / 4) return false;
  const until = new Date(now.getTime() + lapse);
  try {
    const startsAt = new Date(hold.events.find((e) => e.type === 'hold:created')?.at ?? now.toISOString());
    // An alert that began firing since with a superset of these labels would be silenced too: let go.
    const scope = await scopeOf(deps, run);
    // (An alert Alertmanager no longer has is the watch's business: its silence covers nobody else.)
    if (!scope.ok && scope.reason === 'shared') {
      await releaseNow(deps, run, 'shared');
      deps.log.warn({ runId: run.id, why: scope.why }, 'page hold released: it covered another alert');
      return true;
    }
    const silence = holdSilence(run, deps.settings.publicUrl);
    const id = await deps.pageHold.api.renew(hold.silenceId, silence, startsAt, until);
    hold.until = until.toISOString();
    const renewed = hold.events.findLast((e) => e.type === 'hold:renewed');
    const at = now.toISOString();
    // Alertmanager makes a new silence when the old one expired (the hold had lapsed): say so.
    if (id !== hold.silenceId)
      note(hold, { type: 'hold:created', at, silenceId: id, why: 'the hold had lapsed' });
    hold.silenceId = id;
    if (renewed && hold.events.at(-1) === renewed)
      Object.assign(renewed, { at, until: hold.until, silenceId: id, count: (renewed.count ?? 1) + 1 });
    else note(hold, { type: 'hold:renewed', at, silenceId: id, until: hold.until, count: 1 });
    return true;
  } catch (err) {
    // The silence still ends at `until` by itself: fail-open, people are paged if this goes on.
    failed(deps, run, 'renew', err);
    return true;
  }
}

/** Releases a held page now (people are paged at Alertmanager's next flush), saying why. */
export function releaseHold(deps: Deps, run: RunRecord, why: PageHoldEnd): Promise<void> {
  return serially(run, () => releaseNow(deps, run, why));
}

async function releaseNow(deps: Deps, run: RunRecord, why: PageHoldEnd): Promise<void> {
  const hold = run.pageHold;
  if (!deps.pageHold || !hold?.silenceId || (hold.state !== 'held' && hold.state !== 'healed')) return;
  hold.state = 'ended';
  const at = deps.now().toISOString();
  try {
    await deps.pageHold.api.release(hold.silenceId);
    note(hold, {
      type: why === 'resolved' ? 'hold:removed' : 'hold:released',
      at,
      silenceId: hold.silenceId,
      why,
    });
  } catch (err) {
    failed(deps, run, 'release', err, `ends by itself at ${hold.until ?? '?'}`);
    note(hold, { type: 'hold:released', at, silenceId: hold.silenceId, why });
  }
  deps.metrics.pageHoldReleases.labels(why).inc();
}

/**
 * At a run's end: released at once unless it healed; a healed run's hold waits (renewed by the
 * watch) for Alertmanager to see the alert resolved, then is removed: a page avoided.
 */
export async function holdAtEnding(deps: Deps, run: RunRecord, ending: Ending): Promise<void> {
  const hold = run.pageHold;
  if (!deps.pageHold || hold?.state !== 'held') return;
  const next = holdAfterEnding(ending);
  if (next !== 'keep') return releaseHold(deps, run, next);
  hold.state = 'healed';
  await renewHold(deps, run, true);
  try {
    await deps.pageHold.healed.add(run.id);
  } catch (err) {
    // Nobody will watch it: it lapses within one bound, and people are paged if the alert still fires.
    failed(deps, run, 'watch', err);
  }
}

/**
 * One hold call at a time per run: a renewal still on its way when the run ends would reach
 * Alertmanager after the release, and renewing an expired silence makes a new one (the hold back).
 */
const pending = new WeakMap<RunRecord, Promise<void>>();
function serially(run: RunRecord, work: () => Promise<void>): Promise<void> {
  const next = (pending.get(run) ?? Promise.resolve()).then(work, work);
  pending.set(run, next);
  return next;
}

async function scopeOf(deps: Deps, run: RunRecord) {
  const { labels, fingerprint } = run.alert;
  return holdScope(await deps.pageHold!.api.alerts(labels), labels, fingerprint);
}

/** Nothing held, and why: people are paged as usual. */
function declined(deps: Deps, run: RunRecord, scope: { reason: 'absent' | 'shared'; why: string }): void {
  const at = deps.now().toISOString();
  run.pageHold = { state: 'declined', events: [{ type: 'hold:declined', at, why: scope.why }] };
  deps.metrics.pageHoldsDeclined.labels(scope.reason).inc();
  deps.log.warn({ runId: run.id, why: scope.why }, 'page hold declined: people are paged as usual');
}

function note(hold: PageHoldRecord, event: PageHoldEvent): void {
  hold.events.push(event);
}

function failed(deps: Deps, run: RunRecord, op: string, err: unknown, extra?: string): void {
  const message = errorMessage(err);
  deps.metrics.pageHoldErrors.labels(op).inc();
  deps.log.warn(
    { runId: run.id, op, err: message },
    `page hold: ${op} failed (fail-open: people are paged as usual)`,
  );
  run.pageHold?.events.push({
    type: 'hold:failed',
    at: deps.now().toISOString(),
    why: `${op}: ${message}${extra ? `; ${extra}` : ''}`,
  });
}
