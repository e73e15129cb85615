import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.ts';
import { ConfigError } from '../../src/errors.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { startService } from '../../src/main.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * Option injection, end to end on a real OpenSSH server: a label that starts with `-` must never reach
 * a command as an option, and a runbook that would let alert data into argv (or anything that runs)
 * without a param's pattern does not load. The attacker can post any alert.
 */
let sshd: Sshd;
let svc: TestService;
let redis: TestRedis;

const POLICY = `policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }`;

const runbooks = (dir: string) => ({
  // A "file name" pattern that happens to let a leading '-' through: the author's mistake to survive.
  'sort.yaml': `
name: sort-file
match: ['alertname = "SortMe"']
target: box
${POLICY}
params:
  file: { from: '{{labels.file}}', pattern: '[A-Za-z0-9=/_.-]{1,200}' }
steps:
  - name: sort
    ssh: { command: [sort, '{{params.file}}'], stdin: "b\\na\\n", timeout: 10s }
`,
  'echo.yaml': `
name: echo-arg
match: ['alertname = "EchoMe"']
target: box
${POLICY}
params:
  v: { from: '{{labels.v}}', pattern: '(?s).{0,200}' }
steps:
  - name: write
    ssh: { command: [sh, -c, 'printf "%s" "$1" > "$2"', sh, '{{params.v}}', '${dir}/out-{{alert.fingerprint}}'] }
`,
  'dash.yaml': `
name: dash-allowed
match: ['alertname = "DashOk"']
target: box
${POLICY}
params:
  flags: { from: '{{labels.flags}}', pattern: '-[a-z]{1,5}', allowLeadingDash: true }
steps:
  - name: write
    ssh: { command: [sh, -c, 'printf "%s" "$1" > "$2"', sh, '{{params.flags}}', '${dir}/dash-{{alert.fingerprint}}'] }
`,
});

beforeAll(async () => {
  [sshd, redis] = await Promise.all([startSshd(), startTestRedis()]);
  svc = await startTestService({
    runbooks: runbooks(sshd.dir),
    inventory: `targets:\n  box: { ssh: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" } }\n`,
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([sshd?.stop(), redis?.stop()]);
});

async function fire(
  runbook: string,
  labels: Record<string, string>,
): Promise<{ run: RunRecord; fp: string }> {
  const fp = randomBytes(8).toString('hex');
  const body = payload([{ labels, fingerprint: fp }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  return { run: await svc.waitForRun(runId(runbook, fp, body.alerts[0]!.startsAt)), fp };
}

describe('a label starting with "-" never becomes an option', () => {
  it.each(['--output=PWNED', '-oPWNED', '-rf', '--help'])(
    '%j fails the run before sort runs',
    async (file) => {
      const pwned = join(sshd.dir, 'pwned');
      const { run } = await fire('sort-file', {
        alertname: 'SortMe',
        file: file.replace('PWNED', pwned),
      });
      expect(run).toMatchObject({ status: 'failed', reason: 'E_PARAM' });
      expect(run.message).toContain('starts with "-" and could be read as an option');
      expect(run.steps).toEqual([]);
      expect(existsSync(pwned)).toBe(false);
    },
  );

  it('reaches the command as data when the param allows it', async () => {
    const { run, fp } = await fire('dash-allowed', { alertname: 'DashOk', flags: '-rf' });
    expect(run.status).toBe('succeeded');
    expect(readFileSync(join(sshd.dir, `dash-${fp}`), 'utf8')).toBe('-rf');
  });
});

describe('hostile values its pattern lets through stay one literal argument', () => {
  it.each([
    '; rm -rf /',
    '$(id)',
    '`id`',
    `it's "quoted"`,
    '../../etc/passwd',
    '%2e%2e/',
    'a -rf --output=x',
  ])('%j', async (v) => {
    const { run, fp } = await fire('echo-arg', { alertname: 'EchoMe', v });
    expect(run.status).toBe('succeeded');
    expect(readFileSync(join(sshd.dir, `out-${fp}`), 'utf8')).toBe(v);
  });

  it.each(['--output=/tmp/x', '-rf'])('%j is refused', async (v) => {
    const { run, fp } = await fire('echo-arg', { alertname: 'EchoMe', v });
    expect(run).toMatchObject({ status: 'failed', reason: 'E_PARAM' });
    expect(existsSync(join(sshd.dir, `out-${fp}`))).toBe(false);
  });

  it('a newline is refused before anything runs', async () => {
    const { run, fp } = await fire('echo-arg', { alertname: 'EchoMe', v: 'a\nrm -rf /' });
    expect(run.status).toBe('failed');
    expect(existsSync(join(sshd.dir, `out-${fp}`))).toBe(false);
  });
});

describe('a runbook passing alert data around the door does not load', () => {
  const ROOT = fileURLToPath(new URL('../..', import.meta.url));
  const BAD = `name: raw-label
match: ['alertname = "A"']
target: box
steps:
  - name: rm
    ssh: { command: [rm, '{{labels.file}}'] }
`;
  const PROBLEM =
    'raw-label.yaml:6: step "rm": ssh.command[1]: template "{{labels.file}}": "labels.file" is alert data and ' +
    'cannot reach a command, request or check directly; declare a param with a pattern ' +
    "(params: { NAME: { from: '{{labels.file}}', pattern: ... } }) and use {{params.NAME}}";
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trust-door-'));
    await mkdir(join(dir, 'runbooks'));
    await writeFile(join(dir, 'runbooks', 'raw-label.yaml'), BAD);
    await writeFile(
      join(dir, 'inventory.yaml'),
      'targets:\n  box: { http: { baseUrl: "http://127.0.0.1:9" } }\n',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('remediator validate exits 1 with file:line', async () => {
    const out = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/remediator.js', 'validate', join(dir, 'runbooks'), '--inventory', join(dir, 'inventory.yaml')],
        { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir }, timeout: 30_000 },
        (err, _stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
      );
    });
    expect(out).toEqual({ code: 1, stderr: `${join(dir, 'runbooks', PROBLEM)}\n` });
  });

  it('the service refuses to start', async () => {
    const env = {
      REDIS_URL: redis.url,
      REMEDIATOR_PORT: '0',
      REMEDIATOR_RUNBOOKS_DIR: join(dir, 'runbooks'),
      REMEDIATOR_INVENTORY: join(dir, 'inventory.yaml'),
    };
    const started = startService(readSettings(env, dir), 'serve', env);
    const err = await started.then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([join(dir, 'runbooks', PROBLEM)]);
  });
});
