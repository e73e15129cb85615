import type { Queue } from 'bullmq';
import type { Metrics } from '../record/metrics.ts';
import type { RunStore } from '../record/runs-store.ts';
import type { RunbookIndex } from '../match/select.ts';
import type { OccurrenceStore } from '../stores/types.ts';
import type { Alert, Runbook } from '../types.ts';
import { occurrenceId } from './occurrence.ts';
import { runId } from './run-id.ts';
import { wakeRun } from '../queue/wake.ts';

/** A resolved alert and the runbooks that act on it while it fires (its runs and targets). */
export interface ResolvedMatch {
  readonly alert: Alert;
  readonly runbooks: readonly Runbook[];
}

/** The resolved alerts of a notification, each with the runbooks it had as a firing alert. */
export function resolvedMatches(alerts: readonly Alert[], index: RunbookIndex): ResolvedMatch[] {
  return alerts
    .filter((a) => a.status === 'resolved')
    .map((alert) => ({ alert, runbooks: index.select({ ...alert, status: 'firing' }) }));
}

/** How long remediator remembers that an occurrence resolved (a late `firing` copy then starts nothing). */
export const RESOLVED_TTL_MS = 24 * 3600_000;

/** Up to this many cancelled runs have their jobs removed at once; beyond, the worker drops them. */
const REMOVE_MAX = 100;

export interface ResolvedDeps {
  occurrences: OccurrenceStore;
  store: RunStore;
  queue: Queue;
  metrics: Metrics;
}

/**
 * Resolved alerts: remember their occurrences, and cancel the runs they had queued that have not
 * started (recorded as skipped: resolved). Runs already acting see the mark between steps; runs
 * waiting for approval are woken to see it at once.
 */
export async function handleResolved(
  deps: ResolvedDeps,
  resolved: readonly ResolvedMatch[],
  at: string,
): Promise<number> {
  if (resolved.length === 0) return 0;
  await deps.occurrences.markResolved(
    resolved.map(({ alert: a }) => occurrenceId(a.fingerprint, a.startsAt)),
    RESOLVED_TTL_MS,
  );
  const ids = resolved.flatMap(({ alert: a, runbooks }) =>
    runbooks.map((rb) => runId(rb.name, a.fingerprint, a.startsAt)),
  );
  const { ended: cancelled, awaiting } = await deps.store.cancelQueued(
    ids,
    'resolved',
    'the alert resolved before the run started',
    at,
  );
  for (const run of cancelled) {
    deps.metrics.runs.labels(run.runbook, 'skipped').inc();
    deps.metrics.runFailures.labels(run.runbook, 'resolved').inc();
  }
  // The job may be waiting or delayed; if a worker holds it, the worker sees the run is no longer
  // queued. Removing is only tidying (a worker drops a job whose run is not queued at claim, one
  // cheap script): BullMQ's remove scans the whole wait list, so 100,000 removals took hours.
  if (cancelled.length <= REMOVE_MAX)
    await Promise.all(cancelled.map((run) => deps.queue.remove(run.id).catch(() => 0)));
  // Runs waiting for approval: woken now, so the worker cancels the request (and undoes any steps run).
  for (const id of awaiting) await wakeRun(deps.queue, id);
  return cancelled.length;
}
