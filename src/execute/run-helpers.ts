import { errorMessage } from '../errors.ts';
import { occurrenceId } from '../ingest/occurrence.ts';
import { withTargetState } from '../policy/target-state-update.ts';
import type { Decision } from '../policy/types.ts';
import type { AdmissionRequest } from '../stores/types.ts';
import type { RunRecord } from '../types.ts';
import type { Ending } from './finish.ts';
import type { RunnerDeps } from './runner-deps.ts';

export type RunOutcome = { kind: 'done'; run?: RunRecord } | { kind: 'wait'; retryAt: number };

/** The slow safety poll of a parked run: about one Redis round trip per waiting run per minute. */
export const PARKED_RECHECK_MS = 60_000;

/**
 * A parked run waits until a freed place wakes it, but never longer than PARKED_RECHECK_MS: a wake-up
 * lost in a Redis failover (written to the old primary, never replicated) must not leave the run
 * waiting for its whole maxWait (the chaos suite's failover scenario found six such runs, due in 10 min).
 */
export function parked(deadline: number, now: number, recheckMs = PARKED_RECHECK_MS): RunOutcome {
  return { kind: 'wait', retryAt: Math.min(deadline, now + recheckMs) };
}

/**
 * How long a parked run may sleep before it looks again: PARKED_RECHECK_MS, or a third of the page
 * hold's lapse while it holds people's page, so its wake-ups renew the hold (renewHold moves it once
 * less than three quarters is left) before it lapses, also when no freed place and no sweep wakes it.
 */
export function parkedRecheckMs(run: RunRecord, pageHoldLapseMs: number): number {
  if (run.pageHold?.state !== 'held') return PARKED_RECHECK_MS;
  return Math.max(1000, Math.min(PARKED_RECHECK_MS, Math.floor(pageHoldLapseMs / 3)));
}

/** The first time a run reaches the gate, its firing alert starts counting on its target. */
export async function countAlertOnTarget(deps: RunnerDeps, run: RunRecord, now: number): Promise<void> {
  const occurrence = occurrenceId(run.alert.fingerprint, run.alert.startsAt);
  const event = async () => ({
    kind: 'alert' as const,
    firing: await deps.stores.targets.alert(run.target, occurrence, true),
  });
  await withTargetState(deps.stores.targets, run.target, event, now, deps.settings.stabilizeMs).catch(
    (err: unknown) => deps.log.warn({ runId: run.id, err: errorMessage(err) }, 'target state not updated'),
  );
}

export async function isResolved(deps: RunnerDeps, run: RunRecord): Promise<boolean> {
  const [resolved] = await deps.stores.occurrences.areResolved([
    occurrenceId(run.alert.fingerprint, run.alert.startsAt),
  ]);
  return resolved === true;
}

export function recordDecisions(run: RunRecord, decisions: readonly Decision[]): void {
  const list = (run.decisions ??= []);
  const before = list.length;
  for (const d of decisions) {
    // A waiting run passes the gate again and again: keep a decision only when it differs from what
    // earlier passes recorded for its stage (within one pass, every decision is kept).
    const last = list.slice(0, before).findLast((l) => l.stage === d.stage);
    if (last && last.decision === d.decision && last.reason === d.reason && last.detail === d.detail)
      continue;
    list.push({ ...d });
  }
}

export function ending(status: Ending['status'], reason: string, message: string): Ending {
  return { status, reason, message };
}

export function done(run: RunRecord): RunOutcome {
  return { kind: 'done', run };
}

export function groupOf(admission: AdmissionRequest): string | undefined {
  return admission.slots.find((s) => s.key.startsWith('group:'))?.key.slice('group:'.length);
}

export function silencer(deps: RunnerDeps) {
  return deps.silenced ? { silenced: deps.silenced } : {};
}
