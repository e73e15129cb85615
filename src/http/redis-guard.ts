import { RedisUnavailableError } from '../errors.ts';

/** Runs Redis-backed work for a route; a failure becomes a 503 (retry later), never a 4xx or a bare 500. */
export async function withRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new RedisUnavailableError(err);
  }
}
