/**
 * One line of the chaos suite's table: when a fault was injected and when each stage of its recovery
 * happened, from the run record remediator kept (Prometheus' own firing time is the alert's
 * `startsAt`; remediator's arrival time, step start and verification are in the record).
 */
import type { RunRecord } from '../../../src/types.ts';

export interface TimelineRow {
  readonly scenario: string;
  /** What the row measures, when a scenario has several. */
  readonly what?: string;
  readonly faultAt?: number;
  readonly firingAt?: number;
  readonly deliveredAt?: number;
  readonly stepStartedAt?: number;
  readonly verifiedAt?: number;
  /** What else the scenario counted (copies delivered, runs per process, ...). */
  readonly note?: string;
  /** The alert occurrence: whether people were paged for it is looked up after the scenario. */
  readonly occurrence?: { readonly fingerprint: string; readonly startsAt: string };
  /** `yes` / `no`: did Alertmanager's "humans" receiver get this alert firing. */
  paged?: string;
  /** `passed`, `FAILED`. */
  result?: string;
}

/**
 * `yes (n)` when Alertmanager's "humans" receiver was sent the alert firing (n notifications, HA peers
 * included), else `no`. Read after the scenario, once its alerts resolved: no later page can come.
 */
export function pagedFor(
  humansBodies: readonly string[],
  occurrence: { fingerprint: string; startsAt: string },
): string {
  // The same labels fire again in later scenarios (same fingerprint): only this occurrence counts.
  const n = humansBodies.filter((body) => {
    const alerts = (
      JSON.parse(body) as { alerts?: Array<{ fingerprint?: string; status?: string; startsAt?: string }> }
    ).alerts;
    return (
      alerts?.some(
        (a) =>
          a.fingerprint === occurrence.fingerprint &&
          a.status === 'firing' &&
          a.startsAt !== undefined &&
          Date.parse(a.startsAt) === Date.parse(occurrence.startsAt),
      ) ?? false
    );
  }).length;
  return n === 0 ? 'no' : `yes (${n})`;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** The row for `run`, healing a fault injected at `faultAt`. */
export function rowFromRun(scenario: string, what: string, faultAt: number, run: RunRecord): TimelineRow {
  const started = run.steps.find((s) => s.startedAt !== undefined);
  const verifiedStep = run.steps.find((s) => s.verify?.ok);
  const verifiedAt =
    verifiedStep?.finishedAt !== undefined
      ? Date.parse(verifiedStep.finishedAt) + (verifiedStep.verify?.elapsedMs ?? 0)
      : run.status === 'succeeded'
        ? ms(run.finishedAt)
        : undefined;
  return {
    scenario,
    what,
    faultAt,
    occurrence: { fingerprint: run.alert.fingerprint, startsAt: run.alert.startsAt },
    firingAt: ms(run.alert.startsAt),
    deliveredAt: ms(run.receivedAt),
    stepStartedAt: ms(started?.startedAt),
    verifiedAt,
  };
}

const HEAD = [
  'scenario',
  'fault injected at',
  'alert firing at',
  'delivered at',
  'step started at',
  'verified at',
  'time to recovery',
  'remediator (delivery -> step)',
  'people paged?',
  'result',
  'notes',
];

/** A plain-text table; times after the fault are `+s` from it, so rows read left to right. */
export function formatTable(rows: readonly TimelineRow[]): string {
  const seconds = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? '-' : `${((to - from) / 1000).toFixed(1)} s`;
  const after = (t: number | undefined, fault: number | undefined) =>
    t === undefined || fault === undefined ? '-' : `+${((t - fault) / 1000).toFixed(1)} s`;
  const body = rows.map((r) => [
    r.what ? `${r.scenario}: ${r.what}` : r.scenario,
    r.faultAt === undefined ? '-' : new Date(r.faultAt).toISOString().slice(11, 21),
    after(r.firingAt, r.faultAt),
    after(r.deliveredAt, r.faultAt),
    after(r.stepStartedAt, r.faultAt),
    after(r.verifiedAt, r.faultAt),
    seconds(r.faultAt, r.verifiedAt),
    r.deliveredAt === undefined || r.stepStartedAt === undefined
      ? '-'
      : `${r.stepStartedAt - r.deliveredAt} ms`,
    r.paged ?? '-',
    r.result ?? '-',
    r.note ?? '',
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(HEAD), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
