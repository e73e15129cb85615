import { RemediatorError } from '../errors.ts';
import type { Labels } from '../types.ts';
import { labelsFingerprint } from './fingerprint.ts';

/** One firing period of one alert, as the `ALERTS` series shows it. */
export interface Occurrence {
  readonly labels: Labels;
  readonly fingerprint: string;
  /** The first firing sample (ms). */
  readonly startsAt: number;
  /** The last firing sample (ms); undefined when it still fired at the end of the range. */
  readonly endsAt?: number;
}

export interface HistoryQuery {
  /** Prometheus base URL, e.g. `http://prometheus:9090`. */
  readonly url: string;
  readonly from: number;
  readonly to: number;
  /** Query resolution; must not be shorter than the rules' evaluation interval. @defaultValue 60000 */
  readonly stepMs: number;
  /** Time covered by one request, so a month of a large fleet is read in bounded pieces. @defaultValue 86400000 */
  readonly chunkMs: number;
}

export interface HistoryDeps {
  readonly fetch: typeof fetch;
}

// timestamp() gives each point the time of the sample it saw: a series backfilled without staleness
// markers is still seen for five minutes after its last sample, and the repeated timestamp tells.
const QUERY = 'timestamp(ALERTS{alertstate="firing"})';

const MAX_POINTS = 11_000;

interface Open {
  labels: Labels;
  fingerprint: string;
  start: number;
  last: number;
}

/**
 * Reads `ALERTS{alertstate="firing"}` over the range, one chunk per request, and rebuilds the
 * occurrences: samples of one series belong together while each follows the previous one within a
 * step; a longer gap starts a new occurrence. Labels are the series' minus `__name__` and `alertstate`.
 */
export async function readHistory(deps: HistoryDeps, query: HistoryQuery): Promise<Occurrence[]> {
  const open = new Map<string, Open>();
  const done: Occurrence[] = [];
  // Prometheus refuses a query_range of more than 11,000 points per series.
  const pointsPerChunk = Math.min(MAX_POINTS, Math.max(1, Math.floor(query.chunkMs / query.stepMs)));
  for (let start = query.from; start <= query.to; start += pointsPerChunk * query.stepMs) {
    const end = Math.min(query.to, start + (pointsPerChunk - 1) * query.stepMs);
    for (const series of await queryRange(deps, query, start, end)) {
      const labels = alertLabels(series.metric);
      const fingerprint = labelsFingerprint(labels);
      for (const [, value] of series.values)
        add(open, done, fingerprint, labels, Number(value) * 1000, query.stepMs);
    }
  }
  for (const o of open.values()) {
    const stillFiring = o.last + query.stepMs >= query.to;
    done.push({
      labels: o.labels,
      fingerprint: o.fingerprint,
      startsAt: o.start,
      ...(stillFiring ? {} : { endsAt: o.last }),
    });
  }
  return done.sort((a, b) => a.startsAt - b.startsAt || (a.fingerprint < b.fingerprint ? -1 : 1));
}

function add(
  open: Map<string, Open>,
  done: Occurrence[],
  fp: string,
  labels: Labels,
  at: number,
  stepMs: number,
): void {
  const current = open.get(fp);
  if (current && at <= current.last) return; // the same sample seen again (lookback)
  if (current && at - current.last <= stepMs) {
    current.last = at;
    return;
  }
  if (current)
    done.push({ labels: current.labels, fingerprint: fp, startsAt: current.start, endsAt: current.last });
  open.set(fp, { labels, fingerprint: fp, start: at, last: at });
}

/** fromEntries defines each label: an assignment would drop one named `__proto__` (Prometheus stores it). */
export function alertLabels(metric: Readonly<Record<string, string>>): Labels {
  return Object.fromEntries(
    Object.entries(metric).filter(([name]) => name !== '__name__' && name !== 'alertstate'),
  );
}

interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

async function queryRange(deps: HistoryDeps, q: HistoryQuery, start: number, end: number): Promise<Series[]> {
  const url = new URL('api/v1/query_range', q.url.endsWith('/') ? q.url : `${q.url}/`);
  url.searchParams.set('query', QUERY);
  url.searchParams.set('start', String(start / 1000));
  url.searchParams.set('end', String(end / 1000));
  url.searchParams.set('step', `${q.stepMs / 1000}s`);
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: Series[] } };
  try {
    const response = await deps.fetch(url, { signal: AbortSignal.timeout(120_000) });
    body = (await response.json()) as typeof body;
  } catch (err) {
    throw new RemediatorError('E_PROMETHEUS', `Prometheus at ${q.url}: ${(err as Error).message}`, {
      retryable: true,
    });
  }
  if (body.status !== 'success' || body.data?.resultType !== 'matrix')
    throw new RemediatorError(
      'E_PROMETHEUS',
      `Prometheus at ${q.url} refused the query: ${body.error ?? 'no matrix in the answer'}`,
    );
  return body.data.result ?? [];
}
