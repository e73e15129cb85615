import type { Queue } from 'bullmq';
import { RedisUnavailableError } from '../errors.ts';
import type { Candidate } from '../ingest/plan.ts';
import { runId } from '../ingest/run-id.ts';
import type { Metrics } from '../record/metrics.ts';
import type { CreateOutcome, RunStore } from '../record/runs-store.ts';
import type { NotificationSource, RunRecord } from '../types.ts';
import type { FairOrder } from './fair.ts';

export interface RunJobData {
  readonly runId: string;
}

export const RUN_QUEUE = 'runs';

/**
 * Job options. A job is retried when processing threw (Redis away mid-run, say): the retry finds its
 * run `queued` (gate again) or `running` (the interrupted path: an idempotent step once more, otherwise
 * `unknown`), so a step is never re-run blindly.
 */
const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** Jobs per addBulk call. */
const JOB_CHUNK = 1000;

/** Adds the job of one existing run (its id is the run id, so adding twice is harmless). */
export async function enqueueRun(queue: Queue, id: string, name = 'run'): Promise<void> {
  await queue.add(name, { runId: id }, { ...JOB_OPTIONS, jobId: id });
}

export interface EnqueueResult {
  queued: number;
  duplicates: number;
  failed: number;
}

export interface ProducerDeps {
  queue: Queue<RunJobData>;
  store: RunStore;
  metrics: Metrics;
  /** Fair turns between runbooks; absent: first come, first served. */
  fair?: FairOrder;
}

/**
 * Stores the runs a notification calls for, then their jobs, and only then resolves: the webhook
 * answers 202 after this. Order matters for crashes: a run record without its job (we died between the
 * two) is re-enqueued when Alertmanager retries, since its record is still `queued`; jobs are keyed by
 * run id, so a job that does exist is not added twice.
 */
export async function enqueueRuns(
  deps: ProducerDeps,
  source: NotificationSource,
  candidates: readonly Candidate[],
  receivedAt: string,
): Promise<EnqueueResult> {
  if (candidates.length === 0) return { queued: 0, duplicates: 0, failed: 0 };
  let records = candidates.map((c) => newRecord(c, source, receivedAt));
  let outcomes: CreateOutcome[];
  try {
    outcomes = await deps.store.create(records);
    const reruns = rerunsOf(candidates, outcomes, receivedAt);
    if (reruns.length > 0) {
      const more = reruns.map((c) => newRecord(c, source, receivedAt));
      const moreOutcomes = await deps.store.create(more);
      records = [...records, ...more];
      outcomes = [...outcomes, ...moreOutcomes];
    }
    const toQueue = records.filter(
      (r, i) => r.status === 'queued' && (outcomes[i] === 'new' || outcomes[i] === 'queued'),
    );
    // In chunks, one after another: one transaction of 100,000 jobs would hold Redis for seconds.
    for (let start = 0; start < toQueue.length; start += JOB_CHUNK) {
      const chunk = toQueue.slice(start, start + JOB_CHUNK);
      const turns = deps.fair ? await deps.fair.turns(chunk.map((r) => r.runbook)) : [];
      const jobs = chunk.map((r, i) => ({
        name: r.runbook,
        data: { runId: r.id },
        opts: { ...JOB_OPTIONS, jobId: r.id, ...(turns[i] ? { priority: turns[i] } : {}) },
      }));
      await deps.queue.addBulk(jobs);
    }
  } catch (err) {
    throw new RedisUnavailableError(err);
  }
  return count(deps.metrics, records, outcomes);
}

/**
 * A re-sent notification for an occurrence whose run has ended starts nothing, unless the runbook
 * says `rerun: afterCooldown`: then it gets a run per cooldown period (the id says which period, so
 * HA peers' copies still make one run), and the cooldown stage decides whether it may act.
 */
function rerunsOf(
  candidates: readonly Candidate[],
  outcomes: CreateOutcome[],
  receivedAt: string,
): Candidate[] {
  const ended = new Set(['succeeded', 'failed', 'unknown', 'skipped']);
  return candidates.flatMap((c, i) => {
    const { rerun, cooldownMs } = c.runbook.policy;
    if (rerun !== 'afterCooldown' || cooldownMs <= 0 || !ended.has(outcomes[i] ?? '')) return [];
    const period = Math.floor(Date.parse(receivedAt) / cooldownMs);
    return [
      {
        ...c,
        rerunOf: c.runId,
        runId: runId(c.runbook.name, c.alert.fingerprint, `${c.alert.startsAt}#${period}`),
      },
    ];
  });
}

function newRecord(c: Candidate, source: NotificationSource, receivedAt: string): RunRecord {
  const base = {
    id: c.runId,
    runbook: c.runbook.name,
    alert: c.alert,
    source,
    receivedAt,
    steps: [],
    ...(c.rerunOf ? { rerunOf: c.rerunOf } : {}),
  };
  if (c.target.ok) return { ...base, target: c.target.name, status: 'queued' };
  // A target that cannot be rendered fails the run at once: recorded, never silently dropped.
  return {
    ...base,
    target: '',
    status: 'failed',
    reason: c.target.code,
    message: c.target.message,
    finishedAt: receivedAt,
  };
}

function count(metrics: Metrics, records: RunRecord[], outcomes: CreateOutcome[]): EnqueueResult {
  const result: EnqueueResult = { queued: 0, duplicates: 0, failed: 0 };
  records.forEach((r, i) => {
    const outcome = outcomes[i] === 'new' ? (r.status === 'queued' ? 'queued' : 'failed') : 'duplicate';
    if (outcome === 'queued') result.queued++;
    else if (outcome === 'duplicate') result.duplicates++;
    else {
      result.failed++;
      metrics.runs.labels(r.runbook, 'failed').inc();
      metrics.runFailures.labels(r.runbook, r.reason ?? 'E_INTERNAL').inc();
    }
    metrics.alertsMatched.labels(r.runbook, outcome).inc();
  });
  return result;
}
