/** What the backtest found for one runbook (or, in `totals`, for all of them). */
export interface RunbookTally {
  runbook: string;
  /** Alert occurrences (firing, or resolved for `on: resolved` runbooks) the runbook selected. */
  matched: number;
  started: number;
  succeeded: number;
  failed: number;
  /** Runs the policy gate stopped, by the reason it gave (skips such as `resolved` included). */
  stopped: Record<string, number>;
  /** Runs that had to wait at least once before their end, by the first reason. */
  waited: Record<string, number>;
  /** Runs that never reached the gate: their target did not render or is not in the inventory. */
  errors: Record<string, number>;
  /** The most runs of this runbook acting at the same moment. */
  peakActing: number;
  /** Runs started per target. */
  targets: Record<string, number>;
  /** Times the runbook's circuit breaker opened. */
  circuitOpenings: number;
  /** Runs for which the runbook would have asked a human (assumed approved at once). */
  wouldAsk: number;
  /** Pages remediator itself would send: policy refusals that escalate, and failed runs. */
  pagesSent: number;
  /** Runs that acted while the human page was held (see wouldHoldPage), and of those, succeeded. */
  pagesHeld: number;
  pagesAvoided: number;
}

/**
 * A count per name, without a prototype: target names come from alert labels, and on a plain `{}` a
 * target called `__proto__` would vanish and one called `toString` count from a function.
 */
export function counts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

export function emptyTally(runbook: string): RunbookTally {
  return {
    runbook,
    matched: 0,
    started: 0,
    succeeded: 0,
    failed: 0,
    stopped: counts(),
    waited: counts(),
    errors: counts(),
    peakActing: 0,
    targets: counts(),
    circuitOpenings: 0,
    wouldAsk: 0,
    pagesSent: 0,
    pagesHeld: 0,
    pagesAvoided: 0,
  };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** The sum of every runbook's counts; the peak is the most acting at once across all runbooks. */
export function sumTallies(tallies: readonly RunbookTally[], peakActing: number): RunbookTally {
  const total = emptyTally('(all)');
  for (const t of tallies) {
    for (const key of ['matched', 'started', 'succeeded', 'failed', 'circuitOpenings', 'wouldAsk'] as const)
      total[key] += t[key];
    for (const key of ['pagesSent', 'pagesHeld', 'pagesAvoided'] as const) total[key] += t[key];
    for (const key of ['stopped', 'waited', 'errors', 'targets'] as const)
      for (const [k, n] of Object.entries(t[key])) bump(total[key], k, n);
  }
  total.peakActing = peakActing;
  return total;
}

/** The `n` largest entries, largest first (ties by name). */
export function top(counts: Record<string, number>, n: number): Array<[string, number]> {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, n);
}

/** Marks for the timeline picture, counted per runbook and time bucket (bounded, whatever the range). */
export interface Timeline {
  readonly from: number;
  readonly bucketMs: number;
  readonly buckets: number;
  /** runbook -> kind (`started`, `held`, or `stopped:<reason>`) -> bucket index -> count. */
  readonly rows: Record<string, Record<string, Record<number, number>>>;
}

export function newTimeline(from: number, to: number, buckets = 240): Timeline {
  const bucketMs = Math.max(60_000, Math.ceil((to - from) / buckets));
  return { from, bucketMs, buckets: Math.max(1, Math.ceil((to - from) / bucketMs)), rows: {} };
}

export function mark(timeline: Timeline, runbook: string, kind: string, at: number): void {
  const index = Math.min(
    timeline.buckets - 1,
    Math.max(0, Math.floor((at - timeline.from) / timeline.bucketMs)),
  );
  const row = (timeline.rows[runbook] ??= {});
  bump((row[kind] ??= {}) as Record<string, number>, String(index));
}
