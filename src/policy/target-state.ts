/**
 * The health of one target as a small state machine, pure: the same record, event and `now` always
 * give the same next record.
 *
 * | from \ event | alert, firing > 0 | alert, firing = 0 | run_started | run_ended | tick |
 * | ------------ | ----------------- | ----------------- | ----------- | --------- | ---- |
 * | healthy      | degraded          | healthy           | recovering  | =         | =    |
 * | degraded     | degraded          | healthy           | recovering  | =         | =    |
 * | recovering   | recovering        | recovering        | recovering  | (1)       | =    |
 * | failing      | failing           | stabilizing       | recovering  | =         | =    |
 * | stabilizing  | (2)               | stabilizing       | recovering  | =         | =    |
 *
 * `=` no change. (1) The run in progress ended (`runId` equals `lastRun`; any other end is late or
 * repeated, and changes nothing): `succeeded` -> stabilizing; `failed` or `unknown` -> failing while
 * alerts fire, stabilizing when none do (they resolved after a run); `skipped` (it did nothing) ->
 * degraded while alerts fire, healthy when none do. (2) Degraded if more alerts fire than before,
 * else stabilizing: alerts still firing just after a fix are expected, they resolve with a delay.
 *
 * Before any event, a stabilizing target whose window is over (`stabilizeMs` or more since `since`)
 * settles: healthy if nothing fires, degraded otherwise; then the event applies as in the table.
 * No record yet means healthy with nothing firing. `since` (ISO time of `now`) changes only when the
 * state does; `firing` follows alert events.
 */
import type { TargetRecord, TargetState } from '../stores/types.ts';

/** What can happen to a target; `firing` is how many alert occurrences fire on it now. */
export type TargetEvent =
  | { kind: 'alert'; firing: number }
  | { kind: 'run_started'; runId: string }
  | { kind: 'run_ended'; runId: string; result: 'succeeded' | 'failed' | 'unknown' | 'skipped' }
  | { kind: 'tick' };

type RunResult = Extract<TargetEvent, { kind: 'run_ended' }>['result'];

export function nextTargetState(
  prev: TargetRecord | undefined,
  event: TargetEvent,
  now: number,
  stabilizeMs: number,
): TargetRecord {
  const iso = new Date(now).toISOString();
  const next = apply(settle(prev ?? { state: 'healthy', since: iso, firing: 0 }, now, stabilizeMs), event);
  return { ...next, since: prev !== undefined && next.state === prev.state ? prev.since : iso };
}

function settle(record: TargetRecord, now: number, stabilizeMs: number): TargetRecord {
  // A `since` that does not parse gives NaN, which is never `< stabilizeMs`: the record settles.
  if (record.state !== 'stabilizing' || now - Date.parse(record.since) < stabilizeMs) return record;
  return { ...record, state: record.firing > 0 ? 'degraded' : 'healthy' };
}

function apply(record: TargetRecord, event: TargetEvent): TargetRecord {
  switch (event.kind) {
    case 'tick':
      return record;
    case 'run_started':
      return { ...record, state: 'recovering', lastRun: event.runId };
    case 'run_ended':
      if (record.state !== 'recovering' || record.lastRun !== event.runId) return record;
      return { ...record, state: afterRun(event.result, record.firing) };
    case 'alert':
      return { ...record, state: onAlert(record, event.firing), firing: event.firing };
  }
}

function afterRun(result: RunResult, firing: number): TargetState {
  if (result === 'succeeded') return 'stabilizing';
  if (result === 'skipped') return firing > 0 ? 'degraded' : 'healthy';
  return firing > 0 ? 'failing' : 'stabilizing';
}

function onAlert(record: TargetRecord, firing: number): TargetState {
  switch (record.state) {
    case 'recovering':
      return 'recovering';
    case 'failing':
      return firing > 0 ? 'failing' : 'stabilizing';
    case 'stabilizing':
      return firing > record.firing ? 'degraded' : 'stabilizing';
    case 'healthy':
    case 'degraded':
      return firing > 0 ? 'degraded' : 'healthy';
  }
}
