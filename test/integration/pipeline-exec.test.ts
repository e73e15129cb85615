import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { consoleClient } from '../harness/console-client.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * exec steps through the whole service: webhook -> Redis -> worker -> a real program -> run record,
 * with the undo of a completed step run after a later one fails, as for ssh steps.
 */
let dir: string;
let svc: TestService;
const TOKEN = 'pipeline-exec-operator-token';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-pipe-exec-'));
  const script = async (name: string, body: string) => {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  };
  await script('mark.sh', 'printf "%s\\n" "$2" >> "$1"; echo "marked $2"');
  await script('fail.sh', 'echo "cannot fix $1" >&2; exit "$2"');
  svc = await startTestService({
    runbooks: {
      'dry.yaml': `
name: local-dry
match: ['alertname = "LocalDry"']
target: ctl
dryRun: true
steps:
  - name: drain
    exec: { command: [mark.sh, ${dir}/dry-log, drain] }
`,
      'local.yaml': `
name: local-fix
match: ['alertname = "LocalBad"']
target: ctl
policy: { cooldown: 0s, maxRunsPerTarget: 100 per 1h, group: '' }
params:
  code: { from: '{{labels.code}}', pattern: '[0-9]{1,3}' }
  who: { from: '{{labels.who}}', pattern: '[^\\n]{1,40}' }
steps:
  - name: drain
    exec: { command: [mark.sh, ${dir}/log, 'drain {{params.who}}'] }
    undo:
      exec: { command: [mark.sh, ${dir}/log, 'undrain {{params.who}}'] }
  - name: fix
    exec: { command: [fail.sh, '{{params.who}}', '{{params.code}}'], timeout: 10s }
`,
    },
    inventory: 'targets:\n  ctl: { local: true }\n',
    env: { REMEDIATOR_EXEC_ALLOW: `${dir}/`, REMEDIATOR_EXEC_PATH: dir, REMEDIATOR_OPERATOR_TOKEN: TOKEN },
  });
});
afterAll(async () => {
  await svc?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function fire(labels: Record<string, string>) {
  const body = payload([{ labels, fingerprint: randomBytes(8).toString('hex') }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const { fingerprint, startsAt } = body.alerts[0]!;
  return svc.waitForRun(runId('local-fix', fingerprint, startsAt));
}

describe('exec steps in the service', () => {
  it('runs the steps, records exit code and output, and undoes the completed step after a failure', async () => {
    const run = await fire({ alertname: 'LocalBad', code: '3', who: '$(id); x' });
    expect(run).toMatchObject({ status: 'failed', reason: 'E_EXIT' });
    expect(run.steps[0]).toMatchObject({
      name: 'drain',
      status: 'succeeded',
      exitCode: 0,
      output: 'stdout:\nmarked drain $(id); x\n',
      action: { kind: 'exec', argv: ['mark.sh', `${dir}/log`, 'drain $(id); x'], env: {} },
      undo: {
        status: 'succeeded',
        exitCode: 0,
        action: { kind: 'exec', argv: ['mark.sh', `${dir}/log`, 'undrain $(id); x'] },
      },
    });
    expect(run.steps[1]).toMatchObject({
      name: 'fix',
      status: 'failed',
      exitCode: 3,
      errorCode: 'E_EXIT',
      error: 'fail.sh exited with code 3',
      output: 'stderr:\ncannot fix $(id); x\n',
    });
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('drain $(id); x\nundrain $(id); x\n');

    // The console's run page shows the argv as JSON (escaped for HTML), the exit code and the undo.
    const client = consoleClient(svc.url);
    expect((await client.login(TOKEN)).status).toBe(303);
    const page = await client.get(`/ui/runs/${run.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(
      `exec [&quot;mark.sh&quot;,&quot;${dir}/log&quot;,&quot;drain $(id); x&quot;]`,
    );
    expect(page.text).toContain(`exec [&quot;fail.sh&quot;,&quot;$(id); x&quot;,&quot;3&quot;]`);
    expect(page.text).toContain('exit 3');
    expect(page.text).toContain('E_EXIT: fail.sh exited with code 3');
  });

  it('succeeds on exit code 0 and leaves a `when: failure` undo alone', async () => {
    await rm(join(dir, 'log'), { force: true });
    const run = await fire({ alertname: 'LocalBad', code: '0', who: 'ok' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('drain ok\n');
  });

  it('in a dry run, renders the step and runs nothing', async () => {
    const body = payload([
      { labels: { alertname: 'LocalDry' }, fingerprint: randomBytes(8).toString('hex') },
    ]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const { fingerprint, startsAt } = body.alerts[0]!;
    const run = await svc.waitForRun(runId('local-dry', fingerprint, startsAt));
    expect(run).toMatchObject({ status: 'skipped', reason: 'dry_run' });
    expect(run.steps[0]).toMatchObject({
      status: 'skipped',
      skippedBecause: 'dry_run',
      action: { kind: 'exec', argv: ['mark.sh', `${dir}/dry-log`, 'drain'] },
    });
    expect(run.steps[0]!.exitCode).toBeUndefined();
    expect(existsSync(join(dir, 'dry-log'))).toBe(false);
  });
});
