import { errorCode, errorMessage } from '../errors.ts';
import { renderTarget } from '../execute/render-run.ts';
import type { RunbookIndex } from '../match/select.ts';
import type { Alert, Runbook } from '../types.ts';
import { runId } from './run-id.ts';

/** One (runbook, alert) pair that should become a run. */
export interface Candidate {
  readonly runId: string;
  readonly runbook: Runbook;
  readonly alert: Alert;
  /** The rendered target, or why it could not be rendered (the run is then recorded as failed). */
  readonly target: { ok: true; name: string } | { ok: false; code: string; message: string };
  /** For a re-run of an occurrence: the id of its first run. */
  readonly rerunOf?: string;
}

/** Decides, without I/O, which runs a notification's alerts call for. */
export function planRuns(alerts: readonly Alert[], index: RunbookIndex): Candidate[] {
  const candidates: Candidate[] = [];
  for (const alert of alerts) {
    for (const runbook of index.select(alert)) {
      candidates.push({
        runId: runId(runbook.name, alert.fingerprint, alert.startsAt),
        runbook,
        alert,
        target: target(runbook, alert),
      });
    }
  }
  return candidates;
}

function target(runbook: Runbook, alert: Alert): Candidate['target'] {
  try {
    return { ok: true, name: renderTarget(runbook, alert) };
  } catch (err) {
    return { ok: false, code: errorCode(err), message: `target: ${errorMessage(err)}` };
  }
}
