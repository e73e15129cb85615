import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { RemediatorError } from '../errors.ts';
import type { Pause, PauseStore } from './types.ts';

export interface RedisPauseStoreOptions {
  /**
   * The clock `list()` prunes by (the interface gives `list` no `now`).
   * @defaultValue Date.now
   */
  clock?: () => number;
  /**
   * How long an expired pause stays listed (for the audit trail) before `list()` deletes it.
   * @defaultValue 86400000 (24 h)
   */
  keepExpiredMs?: number;
}

// Writes the new document only if the stored one is still the one we read, so two concurrent
// expire() calls (or an expire racing a prune) never resurrect or lengthen a pause.
const REPLACE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

const EXPIRE_TRIES = 5;

/**
 * Every pause is one field of the hash `${prefix}pauses` (id -> JSON). Pauses are few (people create
 * them by hand), so reading the whole hash is cheap. Expired pauses stay listed for `keepExpiredMs`
 * after they end, then `list()` deletes them.
 */
export function createRedisPauseStore(
  redis: Redis,
  prefix: string,
  options: RedisPauseStoreOptions = {},
): PauseStore {
  const key = `${prefix}pauses`;
  const clock = options.clock ?? Date.now;
  const keepExpiredMs = options.keepExpiredMs ?? 86_400_000;
  return {
    async create(pause) {
      await redis.hset(key, pause.id, JSON.stringify(pause));
    },
    async active(now) {
      const pauses = (await redis.hvals(key)).map(parse);
      return newestFirst(pauses.filter((p) => Date.parse(p.expiresAt) > now));
    },
    async expire(id, now) {
      for (let attempt = 0; attempt < EXPIRE_TRIES; attempt++) {
        const doc = await redis.hget(key, id);
        if (doc === null) return false;
        const pause = parse(doc);
        // Already over: keep the time it really ended.
        if (Date.parse(pause.expiresAt) <= now) return true;
        const ended = JSON.stringify({ ...pause, expiresAt: new Date(now).toISOString() });
        if ((await evalScript(redis, REPLACE, 1, key, id, doc, ended)) === 1) return true;
      }
      throw new RemediatorError('E_REDIS', `pause ${id} kept changing while being expired; try again`, {
        retryable: true,
      });
    },
    async list() {
      const all = Object.entries(await redis.hgetall(key)).map(([, doc]) => parse(doc));
      const cutoff = clock() - keepExpiredMs;
      const stale = all.filter((p) => Date.parse(p.expiresAt) < cutoff);
      // Expiry only ever moves earlier, so a pause found stale stays stale: deleting it is safe.
      if (stale.length > 0) await redis.hdel(key, ...stale.map((p) => p.id));
      return newestFirst(all.filter((p) => !stale.includes(p)));
    },
  };
}

function parse(doc: string): Pause {
  return JSON.parse(doc) as Pause;
}

/** Newest `createdAt` first; equal times by id, so the order is stable. */
function newestFirst(pauses: Pause[]): Pause[] {
  return pauses.sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
