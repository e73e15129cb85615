import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import type { TargetRecord, TargetStore } from './types.ts';

// A missing hash (or field) has version 0, so the first writer passes 0.
const COMPARE_AND_SET = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'version', version + 1)
redis.call('SADD', KEYS[2], ARGV[3])
return 1`;

const CHUNK = 2000;

/**
 * Per target: the set `${prefix}target:${name}:firing` of firing occurrences, and the hash
 * `${prefix}target:${name}:state` with the record (JSON) and its version. The two suffixes differ, so
 * no target name can make one target's key equal another's. `${prefix}targets` lists every target
 * seen, for `all()`.
 */
export function createRedisTargetStore(redis: Redis, prefix: string): TargetStore {
  const firingKey = (target: string): string => `${prefix}target:${target}:firing`;
  const stateKey = (target: string): string => `${prefix}target:${target}:state`;
  const targetsKey = `${prefix}targets`;
  return {
    async alert(target, occurrence, firing) {
      const tx = redis.multi();
      if (firing) tx.sadd(firingKey(target), occurrence);
      else tx.srem(firingKey(target), occurrence);
      const results = await tx.scard(firingKey(target)).sadd(targetsKey, target).exec();
      for (const [err] of results ?? []) if (err) throw err;
      return Number(results?.[1]?.[1] ?? 0);
    },
    async alerts(events) {
      const out: Array<{ changed: boolean; firing: number }> = [];
      // A pipeline per chunk (each command has the connection's timeout) and no spread of a list
      // as long as the notification (100,000 targets would overflow the call stack).
      for (let start = 0; start < events.length; start += CHUNK) {
        const chunk = events.slice(start, start + CHUNK);
        const pipeline = redis.pipeline();
        for (const e of chunk) {
          if (e.firing) pipeline.sadd(firingKey(e.target), e.occurrence);
          else pipeline.srem(firingKey(e.target), e.occurrence);
          pipeline.scard(firingKey(e.target));
        }
        pipeline.sadd(targetsKey, ...new Set(chunk.map((e) => e.target)));
        const results = (await pipeline.exec()) ?? [];
        for (const [err] of results) if (err) throw err;
        chunk.forEach((_, i) =>
          out.push({
            changed: Number(results[2 * i]?.[1]) === 1,
            firing: Number(results[2 * i + 1]?.[1] ?? 0),
          }),
        );
      }
      return out;
    },
    async get(target) {
      const [doc, version] = await redis.hmget(stateKey(target), 'record', 'version');
      return {
        ...(doc === null || doc === undefined ? {} : { record: JSON.parse(doc) as TargetRecord }),
        version: Number(version ?? 0),
      };
    },
    async compareAndSet(target, version, record) {
      const written = await evalScript(
        redis,
        COMPARE_AND_SET,
        2,
        stateKey(target),
        targetsKey,
        version,
        JSON.stringify(record),
        target,
      );
      return written === 1;
    },
    async all() {
      const targets = (await redis.smembers(targetsKey)).sort();
      const records = new Map<string, TargetRecord>();
      if (targets.length === 0) return records;
      const docs = (await redis.pipeline(targets.map((t) => ['hget', stateKey(t), 'record'])).exec()) ?? [];
      targets.forEach((target, i) => {
        const [err, doc] = docs[i] ?? [null, null];
        if (err) throw err;
        if (typeof doc === 'string') records.set(target, JSON.parse(doc) as TargetRecord);
      });
      return records;
    },
  };
}
