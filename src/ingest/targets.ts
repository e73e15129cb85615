import { renderTarget } from '../execute/render-run.ts';
import { withTargetState } from '../policy/target-state-update.ts';
import type { TargetStore } from '../stores/types.ts';
import { occurrenceId } from './occurrence.ts';
import type { ResolvedMatch } from './resolved.ts';

/**
 * Resolved alerts stop counting on their targets. (A firing alert is counted by the worker when its
 * run first reaches the gate: that keeps this bookkeeping off the webhook's path.) Alerts no runbook
 * acts on have no target and are left out.
 */
export async function updateTargets(
  targets: TargetStore,
  resolved: readonly ResolvedMatch[],
  stabilizeMs: number,
): Promise<void> {
  const events = new Map<string, { target: string; occurrence: string; firing: boolean }>();
  for (const { alert, runbooks } of resolved) {
    const occurrence = occurrenceId(alert.fingerprint, alert.startsAt);
    for (const runbook of runbooks) {
      try {
        const target = renderTarget(runbook, alert);
        events.set(`${target}\n${occurrence}`, { target, occurrence, firing: false });
      } catch {
        // The alert lacks what the target template needs: it has no target to update.
      }
    }
  }
  if (events.size === 0) return;
  const now = Date.now();
  const list = [...events.values()];
  // One round trip for every alert; a state update only where a firing set really changed (re-sent
  // and duplicate notifications change nothing).
  const results = await targets.alerts(list);
  const changed = new Map<string, (typeof list)[number]>();
  list.forEach((e, i) => {
    if (results[i]?.changed) changed.set(e.target, e);
  });
  for (const e of changed.values()) {
    // The count is read again on every attempt, after the version it is compared with: a writer that
    // raced us either changed the version (we retry with a fresh count) or wrote before we read.
    const event = async () => ({
      kind: 'alert' as const,
      firing: await targets.alert(e.target, e.occurrence, e.firing),
    });
    await withTargetState(targets, e.target, event, now, stabilizeMs);
  }
}
