import type { Alert, AlertStatus, Labels, Matcher, Runbook } from '../types.ts';
import { labelValue } from './matcher.ts';
import { literalAlternatives } from './regex.ts';

/** Which runbooks an alert selects; built once per set of loaded runbooks. */
export interface RunbookIndex {
  /**
   * The runbooks whose `on` equals `alert.status` and whose every matcher matches `alert.labels`, in the
   * order they were given to `buildRunbookIndex`. Returns a new array on each call.
   */
  select(alert: Alert): Runbook[];
}

interface Entry {
  /** Position in the original list: results are merged back into this order. */
  readonly order: number;
  readonly runbook: Runbook;
  /** The matchers still to check once the entry is a candidate, cheapest first. */
  readonly checks: readonly Matcher[];
}

interface StatusIndex {
  /** Runbooks with an `alertname="…"` (or `alertname=~"A|B"`) matcher, by each value it accepts. */
  readonly byAlertname: ReadonlyMap<string, readonly Entry[]>;
  /** Runbooks without one: they are candidates for every alert. */
  readonly rest: readonly Entry[];
}

const INDEXED_LABEL = 'alertname';
const NONE: readonly Entry[] = Object.freeze([]);
const COST: Readonly<Record<Matcher['type'], number>> = { '=': 0, '!=': 1, '=~': 2, '!~': 2 };

/**
 * Indexes runbooks for `select`. Nearly every runbook names its alert with `alertname="…"` (or a list,
 * `alertname=~"A|B"`), so bucketing on those names lets an alert look at its own few candidates plus the
 * runbooks that name none, instead of at every runbook. The result holds no state beyond its inputs.
 */
export function buildRunbookIndex(runbooks: readonly Runbook[]): RunbookIndex {
  const byStatus = new Map<AlertStatus, StatusIndex>([
    ['firing', indexStatus(runbooks, 'firing')],
    ['resolved', indexStatus(runbooks, 'resolved')],
  ]);
  return Object.freeze({
    select(alert: Alert): Runbook[] {
      const index = byStatus.get(alert.status);
      return index === undefined ? [] : selectFrom(index, alert.labels);
    },
  });
}

function indexStatus(runbooks: readonly Runbook[], status: AlertStatus): StatusIndex {
  const byAlertname = new Map<string, Entry[]>();
  const rest: Entry[] = [];
  runbooks.forEach((runbook, order) => {
    if (runbook.on !== status) return;
    const key = indexKey(runbook.match);
    // The key matcher holds for every alert looked up in one of its buckets, so it is not checked again.
    const checks = runbook.match
      .filter((m) => m !== key?.matcher)
      .sort((a, b) => COST[a.type] - COST[b.type]);
    const entry: Entry = { order, runbook, checks };
    if (key === undefined) {
      rest.push(entry);
      return;
    }
    for (const value of key.values) {
      const bucket = byAlertname.get(value);
      if (bucket === undefined) byAlertname.set(value, [entry]);
      else bucket.push(entry);
    }
  });
  return { byAlertname, rest };
}

/** The alertname matcher that limits a runbook to known alert names, and those names. */
function indexKey(match: readonly Matcher[]): { matcher: Matcher; values: readonly string[] } | undefined {
  const own = match.filter((m) => m.name === INDEXED_LABEL);
  const equal = own.find((m) => m.type === '=');
  if (equal !== undefined) return { matcher: equal, values: [equal.value] };
  for (const m of own) {
    const values = m.type === '=~' ? literalAlternatives(m.value) : undefined;
    if (values !== undefined) return { matcher: m, values };
  }
  return undefined;
}

function selectFrom(index: StatusIndex, labels: Labels): Runbook[] {
  const bucket = index.byAlertname.get(labelValue(labels, INDEXED_LABEL)) ?? NONE;
  const fromBucket = matching(bucket, labels);
  const fromRest = matching(index.rest, labels);
  if (fromRest.length === 0) return fromBucket.map((e) => e.runbook);
  if (fromBucket.length === 0) return fromRest.map((e) => e.runbook);
  // Both lists are already in order and usually tiny; a sort of the union is simpler than a merge.
  return [...fromBucket, ...fromRest].sort((a, b) => a.order - b.order).map((e) => e.runbook);
}

function matching(entries: readonly Entry[], labels: Labels): Entry[] {
  const hits: Entry[] = [];
  for (const entry of entries) {
    if (matchesAll(entry.checks, labels)) hits.push(entry);
  }
  return hits;
}

function matchesAll(checks: readonly Matcher[], labels: Labels): boolean {
  for (const m of checks) if (!m.matches(labels)) return false;
  return true;
}
