import type { Runbook } from '../types.ts';

/**
 * Would the human page for an alert be held while a run of this runbook heals it? Counted for every
 * run that acts: "pages held", and of those, the runs that succeeded are "pages avoided".
 *
 * TODO(issue 12): page holds are a runbook opt-in being added in issue 12; until that field exists
 * no runbook holds its page. Return the runbook's opt-in here once it is merged.
 */
export function wouldHoldPage(runbook: Runbook): boolean {
  void runbook;
  return false;
}
