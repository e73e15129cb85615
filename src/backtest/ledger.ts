import {
  bump,
  emptyTally,
  mark,
  newTimeline,
  sumTallies,
  type RunbookTally,
  type Timeline,
} from './tally.ts';

/** What the replay found, as the report shows it. */
export interface ReplayResult {
  readonly occurrences: number;
  readonly runbooks: RunbookTally[];
  readonly totals: RunbookTally;
  /** The hour (start, ms) in which the most runs started, and how many; undefined when none did. */
  readonly busiestHour?: { readonly start: number; readonly started: number };
  readonly timeline: Timeline;
}

const HOUR = 3_600_000;

/** The replay's counting, kept apart from its deciding: tallies, runs acting at once, hours, the picture. */
export class Ledger {
  private readonly tallies = new Map<string, RunbookTally>();
  private readonly acting = new Map<string, number>();
  private actingAll = 0;
  private peakAll = 0;
  private readonly hours = new Map<number, number>();
  private readonly timeline: Timeline;

  constructor(runbooks: readonly string[], from: number, to: number) {
    this.timeline = newTimeline(from, to);
    for (const name of runbooks) this.tallies.set(name, emptyTally(name));
  }

  tally(runbook: string): RunbookTally {
    return this.tallies.get(runbook)!;
  }

  stopped(runbook: string, reason: string, escalate: boolean, at: number): void {
    const tally = this.tally(runbook);
    bump(tally.stopped, reason);
    if (escalate) tally.pagesSent++;
    mark(this.timeline, runbook, `stopped:${reason}`, at);
  }

  started(runbook: string, target: string, held: boolean, at: number): void {
    const tally = this.tally(runbook);
    tally.started++;
    bump(tally.targets, target);
    if (held) tally.pagesHeld++;
    const acting = (this.acting.get(runbook) ?? 0) + 1;
    this.acting.set(runbook, acting);
    tally.peakActing = Math.max(tally.peakActing, acting);
    this.peakAll = Math.max(this.peakAll, ++this.actingAll);
    const hour = Math.floor(at / HOUR) * HOUR;
    this.hours.set(hour, (this.hours.get(hour) ?? 0) + 1);
    mark(this.timeline, runbook, 'started', at);
    if (held) mark(this.timeline, runbook, 'held', at);
  }

  ended(runbook: string, status: 'succeeded' | 'failed', held: boolean, circuitOpened: boolean): void {
    const tally = this.tally(runbook);
    tally[status]++;
    // A failed run escalates (the healer tried and failed); a held page whose run worked never goes out.
    if (status === 'failed') tally.pagesSent++;
    if (held && status === 'succeeded') tally.pagesAvoided++;
    if (circuitOpened) tally.circuitOpenings++;
    this.acting.set(runbook, (this.acting.get(runbook) ?? 1) - 1);
    this.actingAll--;
  }

  result(occurrences: number): ReplayResult {
    const runbooks = [...this.tallies.values()];
    let busiest: { start: number; started: number } | undefined;
    for (const [start, started] of this.hours)
      if (!busiest || started > busiest.started || (started === busiest.started && start < busiest.start))
        busiest = { start, started };
    return {
      occurrences,
      runbooks,
      totals: sumTallies(runbooks, this.peakAll),
      ...(busiest ? { busiestHour: busiest } : {}),
      timeline: this.timeline,
    };
  }
}
