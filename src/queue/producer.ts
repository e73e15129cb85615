import type { Queue } from 'bullmq';
import { RedisUnavailableError } from '../errors.ts';
import type { Candidate } from '../ingest/plan.ts';
import { runId } from '../ingest/run-id.ts';
import type { Metrics } from '../record/metrics.ts';
import { CREATE_CHUNK, type CreateOutcome, type RunStore } from '../record/runs-store.ts';
import type { NotificationSource, RunRecord } from '../types.ts';
import type { FairOrder, Turn } from './fair.ts';
import type { RunWriter } from './run-writer.ts';

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

/** Runs per round trip: one transaction of 100,000 jobs would hold Redis for seconds. */
const CHUNK = CREATE_CHUNK;

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
  /** Fair turns between runbooks; also tells which runs are stored already. */
  fair: FairOrder;
  /** Run records and their jobs, in one transaction. */
  writer: RunWriter;
}

/**
 * Stores the runs a notification calls for with their jobs, and only then resolves: the webhook
 * answers 202 after this. Per chunk two round trips: the fair turns (which also read which runs are
 * stored), then records and jobs in one transaction, so a crash leaves either both or neither; a
 * chunk not written is written when Alertmanager retries. Jobs are keyed by run id: a job that does
 * exist is not added twice.
 */
export async function enqueueRuns(
  deps: ProducerDeps,
  source: NotificationSource,
  candidates: readonly Candidate[],
  receivedAt: string,
): Promise<EnqueueResult> {
  const result: EnqueueResult = { queued: 0, duplicates: 0, failed: 0 };
  try {
    // In chunks, one after another: each round trip stays short, and the arguments of one call do
    // not grow with the notification.
    for (let start = 0; start < candidates.length; start += CHUNK) {
      const chunk = candidates.slice(start, start + CHUNK);
      count(deps.metrics, result, await enqueueChunk(deps, source, chunk, receivedAt));
    }
  } catch (err) {
    throw new RedisUnavailableError(err);
  }
  return result;
}

/** Each record of the chunk (reruns included) with what it found: `new`, or the stored status. */
async function enqueueChunk(
  deps: ProducerDeps,
  source: NotificationSource,
  chunk: readonly Candidate[],
  receivedAt: string,
): Promise<Array<{ record: RunRecord; outcome: CreateOutcome }>> {
  const records = chunk.map((c) => newRecord(c, source, receivedAt));
  const turns = await turnsOf(deps.fair, records);
  const reruns = rerunsOf(chunk, records, turns, receivedAt).map((c) => newRecord(c, source, receivedAt));
  const rerunTurns = await turnsOf(deps.fair, reruns);
  const all = [...records, ...reruns];
  const allTurns = [...turns, ...rerunTurns];
  // Records already stored are not sent again (a re-sent notification is most of what Alertmanager sends).
  const unknown = all.filter((_, i) => allTurns[i]?.status === undefined);
  const jobs = all.flatMap((r, i) => {
    const priority = allTurns[i]?.priority ?? 0;
    if (r.status !== 'queued' || priority === 0) return [];
    return [{ name: r.runbook, data: { runId: r.id }, opts: { ...JOB_OPTIONS, jobId: r.id, priority } }];
  });
  const created = await deps.writer.write(unknown, jobs);
  const outcomeOf = new Map(unknown.map((r, i) => [r, created[i] ?? 'new']));
  return all.map((record, i) => ({ record, outcome: outcomeOf.get(record) ?? allTurns[i]!.status! }));
}

/** Turns for the records to be queued; a record failed at once gets none (status unknown, priority 0). */
async function turnsOf(fair: FairOrder, records: readonly RunRecord[]): Promise<Turn[]> {
  const queued = records.filter((r) => r.status === 'queued');
  const got = await fair.turns(queued.map((r) => ({ id: r.id, runbook: r.runbook })));
  const byRecord = new Map(queued.map((r, i) => [r, got[i]!]));
  return records.map((r) => byRecord.get(r) ?? { status: undefined, priority: 0 });
}

/**
 * A re-sent notification for an occurrence whose run has ended starts nothing, unless the runbook
 * says `rerun: afterCooldown`: then it gets a run per cooldown period (the id says which period, so
 * HA peers' copies still make one run), and the cooldown stage decides whether it may act.
 */
function rerunsOf(
  candidates: readonly Candidate[],
  records: readonly RunRecord[],
  turns: readonly Turn[],
  receivedAt: string,
): Candidate[] {
  const ended = new Set(['succeeded', 'failed', 'unknown', 'skipped']);
  return candidates.flatMap((c, i) => {
    const { rerun, cooldownMs } = c.runbook.policy;
    const stored = turns[i]?.status;
    if (rerun !== 'afterCooldown' || cooldownMs <= 0 || records[i]?.status !== 'queued') return [];
    if (stored === undefined || !ended.has(stored)) return [];
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

function count(
  metrics: Metrics,
  result: EnqueueResult,
  written: ReadonlyArray<{ record: RunRecord; outcome: CreateOutcome }>,
): void {
  for (const { record: r, outcome: found } of written) {
    const outcome = found === 'new' ? (r.status === 'queued' ? 'queued' : 'failed') : 'duplicate';
    if (outcome === 'queued') result.queued++;
    else if (outcome === 'duplicate') result.duplicates++;
    else {
      result.failed++;
      metrics.runs.labels(r.runbook, 'failed').inc();
      metrics.runFailures.labels(r.runbook, r.reason ?? 'E_INTERNAL').inc();
    }
    metrics.alertsMatched.labels(r.runbook, outcome).inc();
  }
}
