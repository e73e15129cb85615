import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const shas = new Map<string, string>();

/**
 * Runs a Lua script by its SHA1 (EVALSHA), sending its text only when Redis does not have it yet
 * (NOSCRIPT, e.g. after a restart). Scripts run on every notification and every step: sending their
 * text each time was a measurable share of ingest CPU.
 */
export async function evalScript(
  redis: Redis,
  lua: string,
  numKeys: number,
  ...args: Array<string | number>
): Promise<unknown> {
  let sha = shas.get(lua);
  if (!sha) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(lua, numKeys, ...args);
  }
}
