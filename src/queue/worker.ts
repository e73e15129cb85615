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
  worker.on('failed', (job, err) => options.log.error({ runId: job?.data.runId, err: err.message }, 'run job failed'));
  return {
    async close(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
      const finished = await Promise.race([worker.close().then(() => true as const), timeout]);
      clearTimeout(timer);
      if (!finished) await worker.close(true);
      return finished;
    },
  };
}
