import type { Labels, PageHoldEnd, Runbook, RunRecord } from '../types.ts';
import type { Ending } from './finish.ts';

/** The `createdBy` of every page hold: how people (and REMEDIATOR_HONOUR_SILENCES) tell them apart. */
export const HOLD_CREATED_BY = 'remediator';
/** How every page hold's comment starts; with HOLD_CREATED_BY it marks remediator's own silences. */
export const HOLD_COMMENT_MARK = 'remediator page hold:';

/** An Alertmanager API v2 matcher. */
export interface AmMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

/** What a page hold's silence says, apart from its end. */
export interface HoldSilence {
  readonly matchers: readonly AmMatcher[];
  readonly createdBy: string;
  readonly comment: string;
}

/**
 * The silence for one alert: one exact-equality matcher per label, the value passed as data
 * (`isRegex: false`), so a label value with regex metacharacters, quotes or newlines matches only
 * itself. All labels together select this alert's label set and no broader one.
 */
export function holdSilence(run: RunRecord, publicUrl: string | undefined): HoldSilence {
  const where = publicUrl ? `${publicUrl}/ui/runs/${encodeURIComponent(run.id)}` : `run ${run.id}`;
  return {
    matchers: exactMatchers(run.alert.labels),
    createdBy: HOLD_CREATED_BY,
    comment: `${HOLD_COMMENT_MARK} runbook ${run.runbook} is healing this alert; people are paged if it fails. ${where}`,
  };
}

export function exactMatchers(labels: Labels): AmMatcher[] {
  return Object.keys(labels)
    .sort()
    .map((name) => ({ name, value: labels[name] ?? '', isRegex: false, isEqual: true }));
}

/** Whether a silence is one of remediator's own page holds (never an operator's pause). */
export function isPageHold(silence: { createdBy?: string; comment?: string }): boolean {
  return silence.createdBy === HOLD_CREATED_BY && (silence.comment ?? '').startsWith(HOLD_COMMENT_MARK);
}

/** Does this runbook hold the page: its own `pageHold`, else the global default. */
export function holdsPage(runbook: Pick<Runbook, 'pageHold'>, globalDefault: boolean): boolean {
  return runbook.pageHold ?? globalDefault;
}

/**
 * What a run's end means for its hold: kept (healed: it waits for Alertmanager to see the alert
 * resolved) or released at once, and why. Any end but success releases it, whatever the reason, so a
 * policy reason added later (escalating or not) releases it with no change here.
 */
export function holdAfterEnding(ending: Pick<Ending, 'status' | 'escalate'>): 'keep' | PageHoldEnd {
  switch (ending.status) {
    case 'succeeded':
      return 'keep';
    case 'failed':
      return 'failed';
    case 'unknown':
      return 'unknown';
    case 'skipped':
      return ending.escalate ? 'refused' : 'skipped';
  }
}

/** Every reason a hold ends, for metrics made at start-up. */
export const HOLD_ENDS: readonly PageHoldEnd[] = [
  'failed',
  'unknown',
  'refused',
  'skipped',
  'approval',
  'resolved',
  'not_resolved',
  'shared',
];

/**
 * What `remediator test` says of the page: would a run hold it, and why (not). Nothing where page
 * holds are not in use (REMEDIATOR_PAGE_HOLD off and the runbook silent about it).
 */
export function pageHoldPlan(
  runbook: Pick<Runbook, 'pageHold' | 'approval' | 'steps'>,
  labels: Labels,
  settings: {
    pageHold: boolean;
    alertmanagerUrls: readonly string[];
    pageHoldLapseMs: number;
    dryRun: boolean;
  },
  runbookDryRun: boolean,
): string | undefined {
  if (runbook.pageHold === undefined && !settings.pageHold) return undefined;
  if (!holdsPage(runbook, settings.pageHold))
    return 'not held (runbook says pageHold: false): people are paged as usual';
  if (settings.alertmanagerUrls.length === 0) return 'not held: no REMEDIATOR_ALERTMANAGER_URL';
  if (settings.dryRun || runbookDryRun)
    return 'not held: dry run (nothing is healed, people are paged as usual)';
  if (runbook.approval?.always)
    return 'not held: the run asks a human first (the approval request is the page)';
  const asks = runbook.steps.some((s) => s.approval) ? '; released if a step asks for approval' : '';
  return (
    `held while the run heals: a silence on its ${Object.keys(labels).length} labels (exact values), ` +
    `lapsing ${settings.pageHoldLapseMs / 1000}s after the last renewal; released at once if the run fails${asks}`
  );
}
