import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedis, type EmbeddedRedisOptions } from '../../src/redis/embedded.ts';

export interface TestRedis {
  /** Holds the password of the embedded server (`redis://:<password>@...`). */
  url: string;
  /** The embedded server's `requirepass`; absent for servers the harness did not start. */
  password?: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * A real redis-server on a free port with a fresh data directory, for integration tests and
 * benchmarks. Each call gets its own server, so test files can run in parallel.
 */
export async function startTestRedis(opts: Omit<EmbeddedRedisOptions, 'dataDir'> = {}): Promise<TestRedis> {
  const dataDir = await mkdtemp(join(tmpdir(), 'remediator-redis-'));
  try {
    const server = await startEmbeddedRedis({ ...opts, dataDir });
    const stop = async (): Promise<void> => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
    return { url: server.url, password: server.password, port: server.port, pid: server.pid, dataDir, stop };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
