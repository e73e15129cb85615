import { holdsPage } from '../execute/page-hold-silence.ts';
import type { Runbook } from '../types.ts';

/**
 * Would the human page for an alert be held while a run of this runbook heals it? Counted for every
 * run that acts: "pages held", and of those, the runs that succeeded are "pages avoided". The
 * service's own rule (the runbook's `pageHold`, else REMEDIATOR_PAGE_HOLD), except that a run asking a
 * human before it starts never holds the page: its approval request is the page.
 */
export function wouldHoldPage(runbook: Runbook, globalDefault: boolean): boolean {
  return holdsPage(runbook, globalDefault) && !runbook.approval?.always;
}
