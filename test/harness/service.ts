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
  await mkdir(join(dir, 'runbooks'));
  for (const [name, text] of Object.entries(options.runbooks))
    await writeFile(join(dir, 'runbooks', name), text);
  await writeFile(join(dir, 'inventory.yaml'), options.inventory);
  const redis = options.redis ?? (await startTestRedis());
  // Global caps high enough that tests about other things are not limited by them.
  const env = {
    REDIS_URL: redis.url,
    REMEDIATOR_PORT: '0',
    REMEDIATOR_SHUTDOWN_GRACE: '5s',
    REMEDIATOR_RATE_LIMIT: '10000 per 1h',
    REMEDIATOR_MAX_IN_FLIGHT: '100',
    ...options.env,
  };
  const settings = readSettings(env, dir);
  let logText = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logText += String(chunk);
      done();
    },
  });
  const service = await startService(settings, options.mode ?? 'serve', env, pino({ level: 'debug' }, sink));
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
    async stop() {
      await service.stop();
      if (!options.redis) await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function authHeader(env: Record<string, string>): Record<string, string> {
  const token = env['REMEDIATOR_OPERATOR_TOKEN'];
  return token ? { authorization: `Bearer ${token}` } : {};
}
