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
   * Scripts Redis no longer knows (NOSCRIPT) are loaded and the whole write is sent once more.
   */
  write(records: readonly RunRecord[], jobs: readonly RunJob[]): Promise<CreateOutcome[]>;
}

// The name the CREATE script is defined under on the queue's connection (ioredis sends its text
// once per connection, then its SHA; inside a MULTI it cannot send the text again to a Redis that
// lost it: see write).
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
      const send = () => transaction(queue, client, records, jobs, options);
      const first = await send();
      if (!first.some(([err]) => err?.message.includes('NOSCRIPT'))) return outcomes(records, first, first);
      // Redis lost its scripts under an open connection (SCRIPT FLUSH; a Redis restarted behind a
      // proxy). ioredis loads a missing script again only outside a transaction, so every MULTI would
      // fail the same way until the connection drops: Alertmanager retrying forever. Load them here
      // and write once more; both halves are idempotent, so what the first try did is not doubled.
      await loadScripts(client);
      return outcomes(records, first, await send());
    },
  };
}

type Replies = Array<[Error | null, unknown]>;
type Client = Awaited<ReturnType<Queue['getBackend']>['client']>;

async function transaction(
  queue: Queue<{ readonly runId: string }>,
  client: Client,
  records: readonly RunRecord[],
  jobs: readonly RunJob[],
  options: { prefix: string; maxRuns: number },
): Promise<Replies> {
  const multi = client.multi();
  if (records.length > 0) multi.runCommand(COMMAND, createRunsArgs(options.prefix, options.maxRuns, records));
  // On a transaction addJob only checks the options and queues its command (the outcome is in
  // exec's replies): awaited before exec, so a refused option sends nothing at all.
  await Promise.all(jobs.map((j) => new Job(queue, j.name, j.data, j.opts, j.opts.jobId).addJob(multi)));
  const replies = (await multi.exec()) as Replies | null;
  if (!replies) throw new Error('run records and jobs: the transaction was discarded');
  return replies;
}

/** What each record found: from the first try when its records part ran there (else it says `queued`). */
function outcomes(records: readonly RunRecord[], first: Replies, last: Replies): CreateOutcome[] {
  for (const [err] of last) if (err) throw err;
  if (records.length === 0) return [];
  const [err, found] = first[0]![0] ? last[0]! : first[0]!;
  if (err) throw err;
  return found as CreateOutcome[];
}

/** The ioredis client under BullMQ's wrapper: its defined scripts, and SCRIPT LOAD. */
interface ScriptHost {
  readonly scriptsSet: Record<string, { readonly lua: string }>;
  script(subcommand: 'LOAD', lua: string): Promise<unknown>;
}

/** Loads every script this connection has defined (BullMQ's and ours) into Redis. */
async function loadScripts(client: Client): Promise<void> {
  const host = client as unknown as ScriptHost;
  await Promise.all(Object.values(host.scriptsSet).map(({ lua }) => host.script('LOAD', lua)));
}
