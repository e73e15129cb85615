import { errorMessage } from '../errors.ts';
import type { RunStore } from '../record/runs-store.ts';
import type { HealedHoldStore } from '../stores/redis-page-hold-store.ts';
import type { RunRecord } from '../types.ts';
import { alertsUrl } from '../verify/alert-resolved.ts';
import { releaseHold, renewHold } from './page-hold.ts';
import type { PageHoldApi } from './page-hold-alertmanager.ts';
import type { RunnerDeps } from './runner-deps.ts';

/** What Alertmanager says of a healed run's alert. */
export type AlertSeen = 'gone' | 'active' | 'unknown';

/**
 * A healed run's hold: removed once Alertmanager no longer has the alert (a page avoided), given up
 * when it still fires after the resolve wait (people are paged: healed is not what Alertmanager sees),
 * renewed otherwise. Alertmanager unreachable: renewed (which fails too, so the hold lapses: fail-open),
 * and given up after the resolve wait all the same.
 */
export function watchDecision(
  seen: AlertSeen,
  healedAt: number,
  now: number,
  resolveWaitMs: number,
): 'remove' | 'give_up' | 'renew' {
  if (seen === 'gone') return 'remove';
  // Unknown too: were only the check failing (not the renewal), the hold would otherwise never end.
  if (now - healedAt >= resolveWaitMs) return 'give_up';
  return 'renew';
}

export interface PageHoldWatchDeps extends Pick<
  RunnerDeps,
  'settings' | 'now' | 'log' | 'metrics' | 'fetch'
> {
  readonly store: RunStore;
  readonly healed: HealedHoldStore;
  readonly api: PageHoldApi;
  readonly alertmanagerUrls: readonly string[];
  readonly resolveWaitMs: number;
}

/** Looks at every healed hold every `everyMs` (one timer per process, not one per run). */
export function startPageHoldWatch(deps: PageHoldWatchDeps, everyMs: number): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void watchOnce(deps)
      .catch((err: unknown) => deps.log.warn({ err: errorMessage(err) }, 'page hold watch failed'))
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export async function watchOnce(deps: PageHoldWatchDeps): Promise<void> {
  const holdDeps = { ...deps, pageHold: { api: deps.api, healed: deps.healed } };
  for (const id of await deps.healed.list()) {
    const run = await deps.store.get(id);
    if (run?.pageHold?.state !== 'healed') {
      await deps.healed.remove(id);
      continue;
    }
    const seen = await alertSeen(deps, run);
    const healedAt = Date.parse(run.finishedAt ?? '') || deps.now().getTime();
    const decision = watchDecision(seen, healedAt, deps.now().getTime(), deps.resolveWaitMs);
    if (decision === 'renew') await renewHold(holdDeps, run);
    // Several processes watch: only the one that takes the run off the set ends its hold.
    else if (!(await deps.healed.remove(id))) continue;
    else {
      await releaseHold(holdDeps, run, decision === 'remove' ? 'resolved' : 'not_resolved');
      if (decision === 'remove') deps.metrics.pagesAvoided.labels(run.runbook).inc();
    }
    const hold = run.pageHold;
    await deps.store.update(id, (r) =>
      r.pageHold?.state === 'healed' ? { ...r, pageHold: hold } : undefined,
    );
  }
}

/**
 * Asks each peer in turn whether it still has this occurrence: the fingerprint, started no later
 * than the run's alert (silenced ones included). The same labels firing again since are a new
 * occurrence: the healed one is over, and its hold must not silence the next for the resolve wait.
 * (Earlier is the same occurrence: Alertmanager keeps the earliest startsAt of HA Prometheus pairs.)
 */
async function alertSeen(deps: PageHoldWatchDeps, run: RunRecord): Promise<AlertSeen> {
  for (const base of deps.alertmanagerUrls) {
    const url = alertsUrl(base, run.alert.labels);
    if (url === undefined) continue;
    try {
      const res = await deps.fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) continue;
      const alerts = (await res.json()) as Array<{ fingerprint?: string; startsAt?: string }>;
      const started = isoMs(run.alert.startsAt);
      const same = alerts.some(
        (a) => a.fingerprint === run.alert.fingerprint && !(isoMs(a.startsAt) > started),
      );
      return same ? 'active' : 'gone';
    } catch {
      continue;
    }
  }
  deps.metrics.pageHoldErrors.labels('check').inc();
  return 'unknown';
}

/** Milliseconds of an RFC 3339 time with any number of fraction digits (Go writes up to nine). */
export function isoMs(iso: string | undefined): number {
  return Date.parse((iso ?? '').replace(/(\.\d{3})\d+/, '$1'));
}
