import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../types.ts';
import { RUN_QUEUE, type RunJobData } from './producer.ts';

export interface RunWorkerOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix. */
  prefix: string;
  /** Runs processed at once by this process. @defaultValue 4 */
  concurrency?: number;
  process: (runId: string) => Promise<unknown>;
  log: Logger;
}

export interface RunWorker {
  /** Stops taking jobs and waits up to graceMs for running ones; returns whether they all finished. */
  close(graceMs: number): Promise<boolean>;
}

export function startRunWorker(options: RunWorkerOptions): RunWorker {
  const worker = new Worker<RunJobData>(RUN_QUEUE, (job) => options.process(job.data.runId), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 4,
    // A job whose process died is handed out once more; the runner sees its run still `running`
    // and ends it as `unknown` rather than running the step again.
    maxStalledCount: 1,
  });
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
