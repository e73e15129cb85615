import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { consoleClient } from '../harness/console-client.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';

/** ansible steps through the whole service, real ansible-playbook against the harness's sshd. */
let sshd: Sshd;
let playbooks: string;
let svc: TestService;

const runbook = (name: string, alertname: string, extra = '') => `
name: ${name}
match: ['alertname = "${alertname}"']
target: box
${extra}
policy: { cooldown: 0s, maxRunsPerTarget: 100 per 1h, group: '' }
params:
  label: { from: '{{labels.label}}', pattern: '[^\\n]{0,60}' }
steps:
  - name: play
    ansible:
      playbook: marker.yml
      extraVars: { marker: '{{params.label}}' }
      timeout: 60s
`;

beforeAll(async () => {
  sshd = await startSshd();
  playbooks = await mkdtemp(join(tmpdir(), 'remediator-pb-'));
  await writeFile(
    join(playbooks, 'marker.yml'),
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: write the marker\n      ansible.builtin.copy: { dest: "${sshd.dir}/{{ marker }}", content: "healed" }\n`,
  );
  svc = await startTestService({
    runbooks: {
      'play.yaml': runbook('play', 'Play'),
      'check.yaml': runbook('check', 'Check', 'dryRun: true'),
    },
    inventory: `targets:\n  box:\n    ssh: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" }\n`,
    env: {
      REMEDIATOR_ANSIBLE_PLAYBOOKS: playbooks,
      PATH: process.env['PATH'] ?? '',
      REMEDIATOR_OPERATOR_TOKEN: TOKEN,
    },
  });
});
const TOKEN = 'pipeline-ansible-operator-token';
afterAll(async () => {
  await svc?.stop();
  await sshd?.stop();
  await rm(playbooks, { recursive: true, force: true });
});

async function fire(name: string, labels: Record<string, string>) {
  const body = payload([{ labels, fingerprint: randomBytes(8).toString('hex') }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const { fingerprint, startsAt } = body.alerts[0]!;
  return svc.waitForRun(runId(name, fingerprint, startsAt), 90_000);
}

describe('ansible steps in the service', { timeout: 120_000 }, () => {
  it('runs the playbook and records each task', async () => {
    const run = await fire('play', { alertname: 'Play', label: 'played' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run.steps[0]).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      tasks: [{ task: 'write the marker', status: 'changed' }],
      action: {
        kind: 'ansible',
        playbook: join(playbooks, 'marker.yml'),
        extraVars: { marker: 'played' },
        check: false,
      },
    });
    expect(await readFile(join(sshd.dir, 'played'), 'utf8')).toBe('healed');
  });

  it('in a dry run, runs check mode only: the record lists what would change, nothing changes', async () => {
    const run = await fire('check', { alertname: 'Check', label: 'checked' });
    expect(run).toMatchObject({ status: 'skipped', reason: 'dry_run' });
    expect(run.steps[0]).toMatchObject({
      status: 'skipped',
      skippedBecause: 'dry_run',
      tasks: [{ task: 'write the marker', status: 'changed' }],
      action: { kind: 'ansible', check: true },
    });
    expect(existsSync(join(sshd.dir, 'checked'))).toBe(false);

    // The console's run page shows the check-mode command and the task that would change.
    const client = consoleClient(svc.url);
    expect((await client.login(TOKEN)).status).toBe(303);
    const page = await client.get(`/ui/runs/${run.id}`);
    expect(page.text).toContain(`ansible-playbook ${join(playbooks, 'marker.yml')} --check --diff`);
    expect(page.text).toContain('<tr><td>write the marker</td><td>changed</td></tr>');
  });
});

describe('start-up without ansible-playbook', () => {
  it('names every runbook that needs it', async () => {
    const start = startTestService({
      runbooks: { 'play.yaml': runbook('play', 'Play') },
      inventory: `targets:\n  box: { local: true }\n`,
      env: { REMEDIATOR_ANSIBLE_PLAYBOOKS: playbooks, PATH: '/nonexistent' },
    });
    await expect(start).rejects.toThrow(ConfigError);
    const err = (await start.catch((e: unknown) => e)) as ConfigError;
    expect(err.problems).toEqual([
      expect.stringMatching(
        /\/runbooks\/play\.yaml: runbook "play": step "play": an ansible step needs ansible-playbook, which is not on PATH \(\/nonexistent\); install ansible-core \(Debian: apt-get install ansible-core\)$/,
      ),
    ]);
  });
});
