import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.ts';
import { pathWithThisNode } from '../harness/proc-tree.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/**
 * The published package as a user gets it: `npm pack` (which builds dist/), then `npm install -g` of the
 * tarball into an empty prefix without dev dependencies (they come from the npm cache or registry), and
 * its `remediator` command run from an empty directory. One install per run: it is the slow part.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);
let work: string;
let prefix: string;
let pkg: string;
let redis: TestRedis;

const env = (extra: Record<string, string> = {}) => {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('REMEDIATOR_') && k !== 'REDIS_URL') base[k] = v;
  return { ...base, PATH: pathWithThisNode(), npm_config_update_notifier: 'false', ...extra };
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'remediator-package-'));
  prefix = join(work, 'prefix');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: env() });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--omit=dev',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, filename),
    ],
    { cwd: work, env: env() },
  );
  pkg = join(prefix, 'lib', 'node_modules', 'remediator');
  redis = await startTestRedis();
}, 300_000);
afterAll(async () => {
  await redis?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('holds the built JavaScript, its assets and the examples, no sources and no dev dependencies', () => {
    expect(existsSync(join(pkg, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'http', 'ui', 'templates', 'layout.hbs'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'http', 'pages', 'approval-link.hbs'))).toBe(true);
    expect(existsSync(join(pkg, 'schema', 'runbook.schema.json'))).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(existsSync(join(pkg, 'test'))).toBe(false);
    const installed = readdirSync(join(pkg, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'tsx', 'eslint', 'prettier'])
      expect(installed).not.toContain(dev);
    expect(installed).toContain('fastify');
  });

  it('remediator validate checks the runbooks and inventory it ships', async () => {
    const { stdout } = await run(
      join(prefix, 'bin', 'remediator'),
      ['validate', join(pkg, 'runbooks'), '--inventory', join(pkg, 'inventory.yaml')],
      { cwd: work, env: env() },
    );
    expect(stdout).toContain('ok: 4 runbook(s)');
    expect(stdout).toContain('ok: inventory');
  });

  it('remediator serve answers /readyz and the console, and stops on SIGTERM, printing no warning', async () => {
    const port = await freePort();
    const child = spawn(join(prefix, 'bin', 'remediator'), ['serve'], {
      cwd: work,
      env: env({
        REDIS_URL: redis.url,
        REMEDIATOR_PORT: String(port),
        REMEDIATOR_RUNBOOKS_DIR: join(pkg, 'runbooks'),
        REMEDIATOR_INVENTORY: join(pkg, 'inventory.yaml'),
        REMEDIATOR_WEBHOOK_TOKEN: 'package-test-token',
        REMEDIATOR_OPERATOR_TOKEN: 'package-test-operator',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let ready: unknown;
      while (ready === undefined && Date.now() < deadline && child.exitCode === null) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        if (res?.status === 200) ready = await res.json();
        else await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, output).toEqual({ status: 'ready', checks: { redis: 'ok', runbooks: 4 } });
      // Console templates and static files are read from dist/ beside the code.
      const login = await fetch(`${url}/ui/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('/ui/static/console.css');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).not.toMatch(/\(node:\d+\)|Warning:/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
