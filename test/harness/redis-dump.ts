import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** Every value of every key in a Redis, as text, for tests that look for what must not be stored. */
export async function dumpRedis(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    const dump: string[] = [];
    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      dump.push(key);
      if (type === 'string') dump.push((await redis.get(key)) ?? '');
      if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
      if (type === 'list') dump.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      if (type === 'zset') dump.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      if (type === 'set') dump.push(JSON.stringify(await redis.smembers(key)));
      if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    return dump.join('\n');
  } finally {
    redis.disconnect();
  }
}

/** Every file under a Redis data dir (RDB, AOF), as latin1 text: what a stolen disk would show. */
export async function dumpRedisFiles(dataDir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name), 'latin1'));
  }
  return parts.join('\n');
}
