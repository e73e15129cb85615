import type { Queue } from 'bullmq';
import type { Logger } from '../types.ts';
import { enqueueRun } from './producer.ts';

/**
 * Makes parked runs' jobs due now: a place they waited for was freed. A job not delayed is left alone
 * (still parking: the worker sees its woken mark; or already gone with its run).
 */
export async function wakeParked(queue: Queue, runIds: readonly string[], log?: Logger): Promise<void> {
  await Promise.all(
    runIds.map(async (runId) => {
      try {
        const job = await queue.getJob(runId);
        if (job && (await job.isDelayed())) await job.promote();
      } catch (err) {
        log?.debug({ runId, err: (err as Error).message }, 'parked run not woken: its safety poll will be');
      }
    }),
  );
}

/**
 * Makes a run's job due now: an answered approval should not wait for the job's next poll. A delayed
 * job is promoted; a job being processed or waiting is left alone (the worker gets to it); a job that
 * is gone is added again, so the answered run is never left without one.
 */
export async function wakeRun(queue: Queue, runId: string, log?: Logger): Promise<void> {
  try {
    const job = await queue.getJob(runId);
    if (!job) {
      await enqueueRun(queue, runId);
      return;
    }
    if (await job.isDelayed()) await job.promote();
  } catch (err) {
    // Promotion races with the worker moving the job; the job's own poll picks the answer up anyway.
    log?.debug({ runId, err: (err as Error).message }, 'run not woken: its next poll will see the answer');
  }
}
