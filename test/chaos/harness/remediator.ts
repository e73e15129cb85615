/**
 * remediator as an operator starts it (`node bin/remediator.js serve|worker`), configured for the
 * chaos stack: its inventory, Prometheus, Alertmanager, escalations to the stack's receiver, the
 * webhook token Alertmanager sends. Output goes to `<dir>/<name>.log`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../harness/ports.ts';
import { ROOT } from './paths.ts';
import { probe200, startProc, type Proc } from './proc.ts';
import type { ChaosStack } from './stack.ts';

export interface RemediatorOptions {
  readonly stack: ChaosStack;
  /** The scenario's directory: the log file and data directory go here. */
  readonly dir: string;
  readonly redisUrl: string;
  readonly runbooksDir: string;
  /** @defaultValue 'remediator' */
  readonly name?: string;
  /** @defaultValue 'serve', on the stack's webhook port */
  readonly mode?: 'serve' | 'worker';
  /** More REMEDIATOR_* settings, over the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** @defaultValue true: wait for /readyz (needs Redis) */
  readonly waitReady?: boolean;
}

export interface Remediator {
  readonly name: string;
  readonly url: string;
  readonly proc: Proc;
}

export async function startRemediator(options: RemediatorOptions): Promise<Remediator> {
  const { stack } = options;
  const name = options.name ?? 'remediator';
  const mode = options.mode ?? 'serve';
  const port = mode === 'serve' ? stack.remediatorPort : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = join(options.dir, `${name}-data`);
  await mkdir(dataDir, { recursive: true });
  const inherited = Object.entries(process.env).filter(
    ([key]) => !key.startsWith('REMEDIATOR_') && key !== 'REDIS_URL',
  );
  const proc = await startProc({
    name,
    command: process.execPath,
    args: [join(ROOT, 'bin/remediator.js'), mode],
    cwd: options.dir,
    env: {
      ...Object.fromEntries(inherited),
      REDIS_URL: options.redisUrl,
      REMEDIATOR_PORT: String(port),
      REMEDIATOR_RUNBOOKS_DIR: options.runbooksDir,
      REMEDIATOR_INVENTORY: stack.inventoryFile,
      REMEDIATOR_DATA_DIR: dataDir,
      REMEDIATOR_WEBHOOK_TOKEN_FILE: stack.tokenFile,
      REMEDIATOR_PROMETHEUS_URL: stack.prometheusUrl,
      REMEDIATOR_ALERTMANAGER_URL: stack.alertmanagers.a.url,
      REMEDIATOR_ESCALATION_WEBHOOKS: stack.pagerUrl,
      REMEDIATOR_PUBLIC_URL: url,
      REMEDIATOR_LOG_LEVEL: 'debug',
      // A crashed process's runs come back after about twice this.
      REMEDIATOR_LOCK_TTL: '5s',
      REMEDIATOR_SHUTDOWN_GRACE: '30s',
      ...options.env,
    },
    logFile: join(options.dir, `${name}.log`),
    ...(options.waitReady === false ? {} : { ready: () => probe200(`${url}/readyz`), port }),
  });
  return { name, url, proc };
}
