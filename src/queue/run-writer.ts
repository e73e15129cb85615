import { Job, type JobsOptions, type Queue } from 'bullmq';
import { CREATE_RUNS, createRunsArgs, type CreateOutcome } from '../record/runs-store.ts';
import type { RunRecord } from '../types.ts';

/** A BullMQ job to add: its name, data and options (the job id is the run id). */
export interface RunJob {
  readonly name: string;
  readonly data: { readonly runId: string };
  readonly opts: JobsOptions & { jobId: string };
}

/** Writes run records and their jobs together. */
export interface RunWriter {
  /**
   * One MULTI, one round trip: creates the records that do not exist yet (answering, in order, what
   * each found, as RunStore.create does) and adds the jobs. Redis runs a transaction whole or not at
   * all, so a crash of this process leaves no run record without its job nor a job without its
   * record (Redis does not undo a command that fails inside it: the job options are checked first).
   */
  write(records: readonly RunRecord[], jobs: readonly RunJob[]): Promise<CreateOutcome[]>;
}

// The name the CREATE script is defined under on the queue's connection (ioredis sends its text
// once per connection, then its SHA, and again after a reconnect to a Redis that lost it).
const COMMAND = 'remediatorCreateRuns';

/**
 * The writer works on the queue's own connection: BullMQ's scripts are defined there, and a MULTI
 * cannot span two connections. Jobs are added the way Queue.addBulk adds them (`new Job(...)` and
 * `addJob` on a transaction, BullMQ's documented way to add a job inside a MULTI), with the same
 * names, ids and options, so the worker cannot tell the difference.
 */
export function createRunWriter(
  queue: Queue<{ readonly runId: string }>,
  options: { prefix: string; maxRuns: number },
): RunWriter {
  let defined: unknown;
  return {
    async write(records, jobs) {
      if (records.length === 0 && jobs.length === 0) return [];
      const client = await queue.getBackend().client;
      if (defined !== client) {
        client.defineCommand(COMMAND, { numberOfKeys: 2, lua: CREATE_RUNS });
        defined = client;
      }
      const multi = client.multi();
      if (records.length > 0)
        multi.runCommand(COMMAND, createRunsArgs(options.prefix, options.maxRuns, records));
      // On a transaction addJob only checks the options and queues its command (the outcome is in
      // exec's replies): awaited before exec, so a refused option sends nothing at all.
      await Promise.all(jobs.map((j) => new Job(queue, j.name, j.data, j.opts, j.opts.jobId).addJob(multi)));
      const replies = await multi.exec();
      if (!replies) throw new Error('run records and jobs: the transaction was discarded');
      for (const [err] of replies) if (err) throw err;
      return records.length > 0 ? (replies[0]![1] as CreateOutcome[]) : [];
    },
  };
}
