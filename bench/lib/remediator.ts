import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/harness/ports.ts';
import { stopChild } from './child.ts';

const REPO = new URL('../../', import.meta.url).pathname;

export interface RemediatorOptions {
  runbooksDir: string;
  inventoryFile: string;
  redisUrl: string;
  /** Redis key prefix, so instances in one bench run do not see each other's runs. */
  prefix: string;
  /** stdout and stderr (JSON log lines at `info`, as in production) go here. */
  logFile: string;
  webhookToken: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** The program to run. @defaultValue `bin/remediator.js` (src/ by type stripping, as `npm start` does) */
  entry?: string;
  env?: Record<string, string>;
}

export interface Remediator {
  readonly pid: number;
  readonly url: string;
  /** SIGTERM (drains, as in production), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** The real thing: `node bin/remediator.js serve` in its own process, configured only by its environment. */
export async function startRemediator(o: RemediatorOptions): Promise<Remediator> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('REMEDIATOR_') && k !== 'REDIS_URL') env[k] = v;
  }
  Object.assign(env, {
    REDIS_URL: o.redisUrl,
    REMEDIATOR_PORT: String(port),
    REMEDIATOR_REDIS_PREFIX: o.prefix,
    REMEDIATOR_RUNBOOKS_DIR: o.runbooksDir,
    REMEDIATOR_INVENTORY: o.inventoryFile,
    REMEDIATOR_DATA_DIR: join(o.logFile, '..', `data-${o.prefix}`),
    REMEDIATOR_WEBHOOK_TOKEN: o.webhookToken,
    REMEDIATOR_SHUTDOWN_GRACE: '2s',
    ...o.env,
  });
  const log = openSync(o.logFile, 'a');
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), o.entry ?? 'bin/remediator.js', 'serve'], {
    cwd: REPO,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`remediator exited (${child.exitCode}):\n${tail(o.logFile)}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`remediator not ready within 20 s:\n${tail(o.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    url,
    stop: async () => {
      await stopChild(child, () => child.kill('SIGTERM'));
    },
  };
}

function tail(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}
