import { DelayedError, Worker, type ConnectionOptions } from 'bullmq';
import { renewEvery } from '../execute/heartbeat.ts';
import type { Logger } from '../types.ts';
import { RUN_QUEUE, type RunJobData } from './producer.ts';

/** What processing a run concluded: finished (whatever the outcome), or ask again at `retryAt`. */
export type ProcessOutcome = { kind: 'done' } | { kind: 'wait'; retryAt: number };

export interface RunWorkerOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix. */
  prefix: string;
  /** Runs processed at once by this process. @defaultValue 4 */
  concurrency?: number;
  /**
   * How long a job stays ours without the worker renewing it, and how often stalled jobs are looked
   * for: after a crash, its runs come back within about twice this. @defaultValue 30000
   */
  lockMs?: number;
  process: (runId: string) => Promise<ProcessOutcome>;
  /**
   * Whether a run that just parked (moved its job to the delayed set) was woken meanwhile: its
   * wake-up found the job still active and could not make it due. Such a job is made due at once.
   */
  wokenWhileParking?: (runId: string) => Promise<boolean>;
  /** A job with this priority (its fair turn, 0 = none) starts. */
  started?: (priority: number) => Promise<void>;
  log: Logger;
}

export interface RunWorker {
  /** Stops taking jobs and waits up to graceMs for running ones; returns whether they all finished. */
  close(graceMs: number): Promise<boolean>;
}

export function startRunWorker(options: RunWorkerOptions): RunWorker {
  const lockMs = options.lockMs ?? 30_000;
  // Runs this process is processing now. A job whose lock lapsed while this process was only slow
  // (a pause of the event loop or of Redis longer than the renewal interval) is handed out again,
  // often to this very worker: it joins the attempt that is still running instead of starting a
  // second one, which would take the target lock over and end the first as lock_lost.
  const running = new Map<string, Promise<ProcessOutcome>>();
  const processOnce = (runId: string): Promise<ProcessOutcome> => {
    const current = running.get(runId);
    if (current) {
      options.log.warn({ runId }, 'run job handed out again while this process still runs it: joining');
      return current;
    }
    const attempt = options.process(runId).finally(() => running.delete(runId));
    running.set(runId, attempt);
    return attempt;
  };
  const worker = new Worker<RunJobData>(
    RUN_QUEUE,
    async (job, token) => {
      await options.started?.(job.priority).catch(() => undefined);
      const outcome = await processOnce(job.data.runId);
      if (outcome.kind === 'wait') {
        // Waiting behind a lock or a busy group: back to the delayed set, not a failure.
        await job.moveToDelayed(outcome.retryAt, token);
        if (await options.wokenWhileParking?.(job.data.runId)) await job.promote().catch(() => undefined);
        throw new DelayedError();
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: lockMs,
      // Renewed like target locks (BullMQ's default is twice per lifetime): a pause must last about
      // 4/5 of lockMs, not 1/2, before the job counts as stalled.
      lockRenewTime: renewEvery(lockMs),
      stalledInterval: lockMs,
      // A job whose process died is handed out again; the runner sees its run still `running` and
      // retries an idempotent step once, or ends the run `unknown`. Three lets that happen even if
      // the retry's process dies too.
      maxStalledCount: 3,
    },
  );
  worker.on('error', (err) => options.log.warn({ err: err.message }, 'run worker: Redis error'));
  worker.on('failed', (job, err) =>
    options.log.error({ runId: job?.data.runId, err: err.message }, 'run job failed'),
  );
  return {
    async close(graceMs) {
      const finished = await within(
        worker.close().then(() => true),
        graceMs,
        false,
      );
      // A forced close still talks to Redis, which may be the very thing that is gone.
      if (!finished) await within(worker.close(true), 2000, undefined);
      return finished;
    },
  };
}

/** Resolves with `promise`'s value, or with `fallback` after `ms`, whichever comes first. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
