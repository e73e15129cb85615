import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { RemediatorError } from '../errors.ts';
import type { RunRecord, RunStatus } from '../types.ts';

/** What creating a run found: it is new, or a run for the same occurrence already exists in this state. */
export type CreateOutcome = 'new' | RunStatus;

export type ClaimOutcome =
  | { kind: 'claimed'; run: RunRecord }
  /** The run was already `running`: the process running it died mid-step. */
  | { kind: 'interrupted'; run: RunRecord }
  | { kind: 'finished'; status: RunStatus }
  | { kind: 'missing' };

export interface RunFilter {
  runbook?: string;
  target?: string;
  status?: RunStatus;
  limit: number;
  offset: number;
}

export interface RunStore {
  /**
   * Creates the runs that do not exist yet, atomically per chunk of {@link CREATE_CHUNK} (a crash
   * between chunks leaves the rest to Alertmanager's retry, which finds the stored ones known);
   * one round trip for a whole notification.
   */
  create(runs: readonly RunRecord[]): Promise<CreateOutcome[]>;
  /** Moves a queued run to running; tells what it found otherwise. */
  claim(id: string, startedAt: string): Promise<ClaimOutcome>;
  /**
   * Writes the record. A record carrying a `fence` is only written while no later attempt has saved a
   * newer fence (else E_SUPERSEDED): a process that lost its lock cannot overwrite the new holder's work.
   */
  save(run: RunRecord): Promise<void>;
  /** Throws E_SUPERSEDED if a later attempt saved a newer fence than this run carries. */
  assertCurrent(run: RunRecord): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  list(filter: RunFilter): Promise<{ runs: RunRecord[]; nextOffset?: number }>;
  /**
   * Ends runs that are still `queued` (not started) as skipped with a reason; returns the ones it
   * ended, and the ids among the others that wait for approval (read in the same pass).
   */
  cancelQueued(
    ids: readonly string[],
    reason: string,
    message: string,
    at: string,
  ): Promise<{ ended: RunRecord[]; awaiting: string[] }>;
  /** Writes a run (waiting, or ending without having started) only while it is still queued; false otherwise. */
  saveIfQueued(run: RunRecord): Promise<boolean>;
  /**
   * Read, change, write, atomically: `change` gets the stored run and returns the new record, or
   * undefined to leave it as it is. Retried when another writer got in between (compare-and-set on
   * the whole record). Returns what was written, or why nothing was.
   */
  update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
  ): Promise<
    { kind: 'updated'; run: RunRecord } | { kind: 'missing' } | { kind: 'unchanged'; run: RunRecord }
  >;
}

// Run keys are built inside the scripts from a prefix: fine on a single Redis or Sentinel, not on Cluster.
// KEYS: index, ended. ARGV: run key prefix, max runs, then (id, status, doc, arrival ms) per run.
export const CREATE_RUNS = `
local out = {}
for i = 3, #ARGV, 4 do
  local key = ARGV[1] .. ARGV[i]
  local existing = redis.call('HGET', key, 'status')
  if existing then
    out[#out + 1] = existing
  else
    redis.call('HSET', key, 'status', ARGV[i + 1], 'doc', ARGV[i + 2])
    redis.call('ZADD', KEYS[1], ARGV[i + 3], ARGV[i])
    out[#out + 1] = 'new'
  end
end
-- Trim from the index of ended runs only (a queued or running run is never dropped), oldest first,
-- and at most a few more than this call added, so the work per call stays bounded.
local excess = math.min(redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2]), #out + 16)
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  for _, id in ipairs(old) do
    redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
  end
  if #old > 0 then redis.call('ZREM', KEYS[2], unpack(old)) end
end
return out`;

// KEYS: index, ended. ARGV: run key prefix, max runs, batch. Deletes up to `batch` of the oldest ended
// runs beyond max runs; returns how many it deleted.
const TRIM = `
local excess = math.min(redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2]), tonumber(ARGV[3]))
if excess <= 0 then return 0 end
local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
for _, id in ipairs(old) do
  redis.call('DEL', ARGV[1] .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #old`;

const SET_IF_QUEUED = `
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'doc', ARGV[2])
return 1`;

// KEYS: run. ARGV: status, doc, fence. A save from an attempt older than the stored fence is refused.
const SAVE_FENCED = `
local current = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if current > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'doc', ARGV[2], 'fence', ARGV[3])
return 1`;

// KEYS: run. ARGV: expected status, expected doc, status, doc.
const COMPARE_AND_SET = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'doc')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'doc', ARGV[4])
return 1`;

const CLAIM = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
local doc = redis.call('HGET', KEYS[1], 'doc')
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running')
  return {'claimed', doc}
end
if status == 'running' then return {'interrupted', doc} end
return {'finished', status}`;

/** Runs per CREATE script: each call stays short (about a millisecond of Redis time per 100 runs). */
export const CREATE_CHUNK = 1000;

export interface RedisRunStoreOptions {
  /** Key prefix, e.g. `remediator:`. */
  prefix: string;
  /** Oldest runs beyond this many are deleted. @defaultValue 10000 */
  maxRuns?: number;
}

/** The run keys' prefix (`remediator:run:`): `prefix` is the key prefix, e.g. `remediator:`. */
export const runKeyPrefix = (prefix: string) => `${prefix}run:`;

/** KEYS and ARGV of {@link CREATE_RUNS} for these runs (at most {@link CREATE_CHUNK} of them). */
export function createRunsArgs(
  prefix: string,
  maxRuns: number,
  runs: readonly RunRecord[],
): Array<string | number> {
  const args: Array<string | number> = [
    `${prefix}runs`,
    `${prefix}runs:ended`,
    runKeyPrefix(prefix),
    maxRuns,
  ];
  for (const r of runs) args.push(r.id, r.status, JSON.stringify(r), String(Date.parse(r.receivedAt)));
  return args;
}

export function createRedisRunStore(redis: Redis, options: RedisRunStoreOptions): RunStore {
  const runKey = (id: string) => `${options.prefix}run:${id}`;
  const indexKey = `${options.prefix}runs`;
  // Ended runs, by arrival: what trimming may delete.
  const endedKey = `${options.prefix}runs:ended`;
  const noteEnded = async (run: RunRecord) => {
    if (run.status !== 'queued' && run.status !== 'running' && run.status !== 'awaiting_approval') {
      await redis.zadd(endedKey, Date.parse(run.receivedAt), run.id);
    }
  };
  const maxRuns = options.maxRuns ?? 10_000;
  return {
    async create(runs) {
      // One script call per chunk, one after another: a notification of 100,000 alerts would
      // overflow the call stack as one spread argument list, block Redis for seconds as one script,
      // and, sent all at once, let the last chunks' command timeout run out while they queue.
      const outcomes: CreateOutcome[] = [];
      for (let start = 0; start < runs.length; start += CREATE_CHUNK) {
        const args = createRunsArgs(options.prefix, maxRuns, runs.slice(start, start + CREATE_CHUNK));
        const chunk = (await evalScript(redis, CREATE_RUNS, 2, ...args)) as CreateOutcome[];
        for (const outcome of chunk) outcomes.push(outcome);
      }
      return outcomes;
    },
    async claim(id, startedAt) {
      const [kind, value] = (await evalScript(redis, CLAIM, 1, runKey(id))) as [string, string | undefined];
      if (kind === 'missing') return { kind };
      if (kind === 'finished') return { kind, status: value as RunStatus };
      const run = JSON.parse(value ?? '{}') as RunRecord;
      if (kind === 'interrupted') return { kind, run };
      return { kind: 'claimed', run: { ...run, status: 'running', startedAt } };
    },
    async save(run) {
      if (run.fence === undefined) {
        await redis.hset(runKey(run.id), 'status', run.status, 'doc', JSON.stringify(run));
        await noteEnded(run);
        return;
      }
      const saved = await evalScript(
        redis,
        SAVE_FENCED,
        1,
        runKey(run.id),
        run.status,
        JSON.stringify(run),
        run.fence,
      );
      if (saved !== 1) {
        throw new RemediatorError(
          'E_SUPERSEDED',
          `run ${run.id}: a later attempt (newer fence than ${run.fence}) owns it now`,
        );
      }
      await noteEnded(run);
    },
    async get(id) {
      const [status, doc] = await redis.hmget(runKey(id), 'status', 'doc');
      if (!doc) return undefined;
      // CLAIM changes the status field alone; the hash's status is the truth.
      const run = JSON.parse(doc) as RunRecord;
      return status ? { ...run, status: status as RunStatus } : run;
    },
    list: (filter) => listRuns(redis, indexKey, runKey, filter),
    async assertCurrent(run) {
      if (run.fence === undefined) return;
      const current = Number((await redis.hget(runKey(run.id), 'fence')) ?? 0);
      if (current > run.fence) {
        throw new RemediatorError(
          'E_SUPERSEDED',
          `run ${run.id}: a later attempt (fence ${current}) owns it now`,
        );
      }
    },
    async saveIfQueued(run) {
      const saved =
        (await evalScript(redis, SET_IF_QUEUED, 1, runKey(run.id), run.status, JSON.stringify(run))) === 1;
      if (saved) await noteEnded(run);
      return saved;
    },
    async update(id, change) {
      for (let attempt = 0; ; attempt++) {
        const [status, doc] = await redis.hmget(runKey(id), 'status', 'doc');
        if (!status || !doc) return { kind: 'missing' };
        const run = { ...(JSON.parse(doc) as RunRecord), status: status as RunStatus };
        const next = change(structuredClone(run));
        if (!next) return { kind: 'unchanged', run };
        const args = [status, doc, next.status, JSON.stringify(next)];
        if ((await evalScript(redis, COMPARE_AND_SET, 1, runKey(id), ...args)) === 1) {
          await noteEnded(next);
          return { kind: 'updated', run: next };
        }
        if (attempt >= 20) throw new RemediatorError('E_CONFLICT', `run ${id}: changed too often to update`);
      }
    },
    async cancelQueued(ids, reason, message, at) {
      const ended: RunRecord[] = [];
      const awaiting: string[] = [];
      // In chunks: each chunk's reads, then its writes, go out together (ioredis pipelines what is
      // sent at once), so 100,000 resolved alerts cost a few hundred round trips, not 200,000.
      for (let start = 0; start < ids.length; start += CREATE_CHUNK) {
        const chunk = ids.slice(start, start + CREATE_CHUNK);
        const found = await redis.pipeline(chunk.map((id) => ['hmget', runKey(id), 'status', 'doc'])).exec();
        const next: RunRecord[] = [];
        for (const [, fields] of found ?? []) {
          const [status, doc] = (fields ?? []) as [string | null, string | null];
          if (typeof doc !== 'string') continue;
          const run = JSON.parse(doc) as RunRecord;
          // CLAIM changes the status field alone; the hash's status is the truth.
          if (status === 'awaiting_approval') awaiting.push(run.id);
          if (status === 'queued') next.push({ ...run, status: 'skipped', reason, message, finishedAt: at });
        }
        const written = await Promise.all(
          next.map((run) =>
            evalScript(redis, SET_IF_QUEUED, 1, runKey(run.id), 'skipped', JSON.stringify(run)),
          ),
        );
        const now = next.filter((_, i) => written[i] === 1);
        for (const run of now) ended.push(run);
        if (now.length > 0)
          await redis.zadd(endedKey, ...now.flatMap((run) => [Date.parse(run.receivedAt), run.id]));
      }
      // Creating trims a few per call; a mass cancel must not leave 100,000 ended runs until then.
      const prefix = `${options.prefix}run:`;
      while ((await evalScript(redis, TRIM, 2, indexKey, endedKey, prefix, maxRuns, CREATE_CHUNK)) !== 0);
      return { ended, awaiting };
    },
  };
}

async function listRuns(
  redis: Redis,
  indexKey: string,
  runKey: (id: string) => string,
  filter: RunFilter,
): Promise<{ runs: RunRecord[]; nextOffset?: number }> {
  const batch = 500;
  const matches: RunRecord[] = [];
  let skipped = 0;
  for (let start = 0; ; start += batch) {
    const ids = await redis.zrevrange(indexKey, start, start + batch - 1);
    if (ids.length === 0) break;
    const docs = await redis.pipeline(ids.map((id) => ['hget', runKey(id), 'doc'])).exec();
    for (const [, doc] of docs ?? []) {
      if (typeof doc !== 'string') continue;
      const run = JSON.parse(doc) as RunRecord;
      if (filter.runbook && run.runbook !== filter.runbook) continue;
      if (filter.target && run.target !== filter.target) continue;
      if (filter.status && run.status !== filter.status) continue;
      if (skipped < filter.offset) {
        skipped++;
        continue;
      }
      matches.push(run);
      if (matches.length > filter.limit) {
        return { runs: matches.slice(0, filter.limit), nextOffset: filter.offset + filter.limit };
      }
    }
  }
  return { runs: matches };
}
