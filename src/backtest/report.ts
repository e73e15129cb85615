import { describeOutcomeModel, type OutcomeModel } from './outcome-model.ts';
import type { ReplayResult } from './replay.ts';
import { terminalText, visibleJson } from '../execute/visible-json.ts';
import { top, type RunbookTally } from './tally.ts';

/** Everything the backtest prints, as `--json` gives it. */
export interface BacktestReport extends ReplayResult {
  readonly prometheus: string;
  readonly from: string;
  readonly to: string;
  readonly outcomeModel: { readonly name: OutcomeModel; readonly description: string };
  /** What the replay does not model, printed with every report. */
  readonly notModelled: readonly string[];
}

export const NOT_MODELLED = [
  'Alertmanager grouping and group_wait (a run starts when the alert first fires)',
  'repeated notifications, so no re-runs (policy rerun: afterCooldown)',
  'Alertmanager silences (give pauses with --pause)',
  "the runbooks' own dry-run settings (every runbook is replayed as if switched on)",
];

export function buildReport(
  result: ReplayResult,
  meta: { prometheus: string; from: number; to: number; outcome: OutcomeModel },
): BacktestReport {
  return {
    prometheus: meta.prometheus,
    from: iso(meta.from),
    to: iso(meta.to),
    outcomeModel: { name: meta.outcome, description: describeOutcomeModel(meta.outcome) },
    notModelled: NOT_MODELLED,
    ...result,
  };
}

const COLUMNS: Array<[string, (t: RunbookTally) => number]> = [
  ['matched', (t) => t.matched],
  ['started', (t) => t.started],
  ['ok', (t) => t.succeeded],
  ['failed', (t) => t.failed],
  ['stopped', (t) => sum(t.stopped)],
  ['peak', (t) => t.peakActing],
  ['circuit', (t) => t.circuitOpenings],
  ['asks', (t) => t.wouldAsk],
  ['pages', (t) => t.pagesSent],
  ['held', (t) => t.pagesHeld],
  ['avoided', (t) => t.pagesAvoided],
];

/** The printed report: a table, then per runbook the reasons, the waits and the targets touched most. */
export function formatReport(report: BacktestReport): string {
  const lines = [
    `remediator backtest of ${report.from} .. ${report.to} (${report.prometheus}): ${report.occurrences} alert occurrences`,
    `outcome model (${report.outcomeModel.name}): ${report.outcomeModel.description}`,
    `not modelled: ${report.notModelled.join('; ')}`,
    '',
    ...table([...report.runbooks, report.totals]),
    '',
    'columns: matched occurrences, runs started, succeeded, failed, stopped by policy, peak acting at once,',
    'circuit openings, approvals it would ask, pages remediator would send, pages held, pages avoided',
    '',
  ];
  for (const t of report.runbooks) lines.push(...details(t));
  const busy = report.busiestHour;
  lines.push(
    busy ? `busiest hour: ${iso(busy.start)} (${busy.started} runs started)` : 'busiest hour: no run started',
  );
  const watch = attention(report.runbooks);
  lines.push(...(watch.length ? ['', 'look at before switching on:', ...watch.map((w) => `  ${w}`)] : []));
  return lines.join('\n');
}

function table(rows: readonly RunbookTally[]): string[] {
  const nameWidth = Math.max(7, ...rows.map((r) => r.runbook.length));
  const header = ['runbook'.padEnd(nameWidth), ...COLUMNS.map(([c]) => c.padStart(7))].join(' ');
  return [
    header,
    ...rows.map((r) =>
      [r.runbook.padEnd(nameWidth), ...COLUMNS.map(([, f]) => String(f(r)).padStart(7))].join(' '),
    ),
  ];
}

/** Reasons and target names come from alert data: written through terminalText, never raw. */
function details(t: RunbookTally): string[] {
  const list = (counts: Record<string, number>) =>
    top(counts, 20)
      .map(([k, n]) => `${terminalText(k)} ${n}`)
      .join(', ') || 'none';
  const out = [`${t.runbook}:`, `  stopped by reason: ${list(t.stopped)}`];
  if (Object.keys(t.waited).length) out.push(`  had to wait (first reason): ${list(t.waited)}`);
  if (Object.keys(t.errors).length) out.push(`  never reached the gate: ${list(t.errors)}`);
  const targets = top(t.targets, 5);
  out.push(
    `  targets touched most: ${targets.map(([k, n]) => `${terminalText(k)} ${n}`).join(', ') || 'none'}`,
  );
  return out;
}

/** Plain warnings, so a reader sees at a glance what is not safe yet. */
function attention(tallies: readonly RunbookTally[]): string[] {
  const out: string[] = [];
  for (const t of tallies) {
    if (t.circuitOpenings > 0)
      out.push(`${t.runbook}: its circuit breaker opened ${t.circuitOpenings} time(s)`);
    if (t.failed > t.succeeded)
      out.push(`${t.runbook}: more runs failed (${t.failed}) than succeeded (${t.succeeded})`);
    if (Object.keys(t.errors).length)
      out.push(`${t.runbook}: ${sum(t.errors)} run(s) could not name a known target`);
    if (t.matched === 0) out.push(`${t.runbook}: matched no alert in this range`);
  }
  return out;
}

/** `--json`, as safe for a terminal as the text: see visibleJson. */
export function reportJson(report: BacktestReport): string {
  return visibleJson(report, 2);
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
