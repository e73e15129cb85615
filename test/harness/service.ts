import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { readGeneratedToken } from '../../src/config/operator-token.ts';
import { readSettings } from '../../src/config/settings.ts';
import { startService, type Mode, type Service } from '../../src/main.ts';
import type { RunRecord } from '../../src/types.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

export interface TestService {
  readonly service: Service;
  readonly url: string;
  readonly dir: string;
  readonly redis: TestRedis;
  /** The operator token: REMEDIATOR_OPERATOR_TOKEN, or the one the service generated in its data directory. */
  readonly operatorToken: string;
  /** Every log line the service wrote, as text. */
  readonly logs: () => string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Polls a run until it ends (bounded), then returns its record. */
  waitForRun(id: string, timeoutMs?: number): Promise<RunRecord>;
  /**
   * Stops the service and starts it again over the same files and Redis (a deploy, a crash-free
   * restart). The returned service owns what this one owned: its stop() stops the Redis and removes
   * the directory; this one must not be stopped again.
   */
  restart(): Promise<TestService>;
  /** Stops the service, then the Redis it started (not one passed in), and removes its directory. */
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  /** file name -> YAML text */
  runbooks: Record<string, string>;
  inventory: string;
  env?: Record<string, string>;
  mode?: Mode;
  /** Reuse a Redis (e.g. to run two services on one Redis). */
  redis?: TestRedis;
}

/** The real service (composition root, Redis, worker, HTTP on a free port) over temp config files. */
export async function startTestService(options: TestServiceOptions): Promise<TestService> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-svc-'));
  try {
    await mkdir(join(dir, 'runbooks'));
    for (const [name, text] of Object.entries(options.runbooks))
      await writeFile(join(dir, 'runbooks', name), text);
    await writeFile(join(dir, 'inventory.yaml'), options.inventory);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const redis = options.redis ?? (await startTestRedis());
  return launch(options, dir, redis, options.redis === undefined);
}

/** Starts the service over prepared files; `ownsRedis`: stop() stops that Redis too. */
async function launch(
  options: TestServiceOptions,
  dir: string,
  redis: TestRedis,
  ownsRedis: boolean,
): Promise<TestService> {
  // Global caps high enough that tests about other things are not limited by them.
  const env = {
    REDIS_URL: redis.url,
    REMEDIATOR_PORT: '0',
    REMEDIATOR_SHUTDOWN_GRACE: '5s',
    REMEDIATOR_RATE_LIMIT: '10000 per 1h',
    REMEDIATOR_MAX_IN_FLIGHT: '100',
    ...options.env,
  };
  let logText = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logText += String(chunk);
      done();
    },
  });
  let service: Service;
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings(env, dir);
    service = await startService(settings, options.mode ?? 'serve', env, pino({ level: 'debug' }, sink));
  } catch (err) {
    // A service that did not start leaves nothing behind either.
    if (ownsRedis) await redis.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const url = service.url;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const waitForRun = async (id: string, timeoutMs = 20_000): Promise<RunRecord> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await call('GET', `/api/v1/runs/${id}`, undefined, authHeader(env));
      if (res.status === 200) {
        const run = (await res.json()) as RunRecord;
        if (!['queued', 'running'].includes(run.status)) return run;
      }
      if (Date.now() > deadline) throw new Error(`run ${id} did not end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    service,
    url,
    dir,
    operatorToken: settings.operatorToken ?? readGeneratedToken(settings.dataDir) ?? '',
    redis,
    logs: () => logText,
    post: (path, body, headers) => call('POST', path, body, headers),
    get: (path, headers) => call('GET', path, undefined, headers ?? authHeader(env)),
    waitForRun,
    async restart() {
      await service.stop();
      return launch(options, dir, redis, ownsRedis);
    },
    async stop() {
      await service.stop();
      if (ownsRedis) await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function authHeader(env: Record<string, string>): Record<string, string> {
  const token = env['REMEDIATOR_OPERATOR_TOKEN'];
  return token ? { authorization: `Bearer ${token}` } : {};
}
