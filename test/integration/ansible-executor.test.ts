import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStepSettings } from '../../src/config/local-settings.ts';
import { parseRunbook } from '../../src/config/runbooks.ts';
import { createAnsibleExecutor } from '../../src/execute/ansible.ts';
import type { AnsibleAction } from '../../src/execute/executor.ts';
import { renderSteps } from '../../src/execute/render-run.ts';
import type { Alert, SshTarget } from '../../src/types.ts';
import { randomHostKey, startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * Real ansible-playbook (Debian's ansible-core) against the harness's real sshd on loopback: the
 * "host" is this machine, so its python3 runs the modules.
 */
let sshd: Sshd;
let playbooks: string;
let runTmp: string;
let target: SshTarget;
let local: LocalStepSettings;

beforeAll(async () => {
  sshd = await startSshd();
  playbooks = await mkdtemp(join(tmpdir(), 'remediator-playbooks-'));
  runTmp = await mkdtemp(join(tmpdir(), 'remediator-ansible-runs-'));
  target = {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    keyFile: sshd.keyFile,
    hostKeys: [sshd.hostKey],
  };
  local = { execAllow: [], execPath: [], execEnv: [], playbooksDir: playbooks };
  await writeFile(
    join(playbooks, 'marker.yml'),
    `- hosts: all
  gather_facts: false
  tasks:
    - name: write the marker
      ansible.builtin.copy: { dest: "{{ marker }}", content: "{{ label }}" }
    - name: record the types
      ansible.builtin.copy: { dest: "{{ marker }}.types", content: "{{ label | type_debug }} {{ flag | type_debug }}" }
    - name: only when tagged
      tags: [never, extra]
      ansible.builtin.file: { path: "{{ marker }}.tagged", state: touch }
`,
  );
  await writeFile(
    join(playbooks, 'fail.yml'),
    `- hosts: all
  gather_facts: false
  tasks:
    - name: fine first
      ansible.builtin.command: /bin/true
      changed_when: false
    - name: break on purpose
      ansible.builtin.fail: { msg: "the disk is full" }
    - name: never reached
      ansible.builtin.command: /bin/true
`,
  );
});
afterAll(async () => {
  await sshd?.stop();
  await rm(playbooks, { recursive: true, force: true });
  await rm(runTmp, { recursive: true, force: true });
});

const alert = (labels: Record<string, string>): Alert => ({
  status: 'firing',
  labels: { alertname: 'A', ...labels },
  annotations: {},
  startsAt: '2026-01-01T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint: 'abc',
});

/** The rendered action of a runbook with one ansible step, the label `v` as param. */
function action(step: string, labels: Record<string, string>): AnsibleAction {
  const text =
    `name: rb\nmatch: ['alertname = "A"']\ntarget: box\n` +
    `params:\n  v: { from: '{{labels.v}}', pattern: '[\\s\\S]*' }\n  flag: { from: '{{labels.flag}}', pattern: '[a-z0-9]*' }\n` +
    `steps:\n  - name: play\n    ansible: ${step}\n`;
  const result = parseRunbook('rb.yaml', text, local);
  expect(result.problems).toEqual([]);
  return renderSteps(result.runbook!, alert(labels), 'box')[0] as AnsibleAction;
}

const executor = () =>
  createAnsibleExecutor({
    ansiblePlaybook: '/usr/bin/ansible-playbook',
    settings: local,
    env: process.env,
    tmpDir: runTmp,
  });
const HOSTILE = `{{ lookup('pipe', 'id') }}; $(id) "'\n`;

// ansible-playbook starts a Python interpreter per run and per task (about 4 s a run on an idle machine).
describe('ansible steps against a real sshd', { timeout: 90_000 }, () => {
  it('changes a file on the host; extra vars arrive as strings, never templated', async () => {
    const marker = join(sshd.dir, 'marker');
    const a = action(
      `{ playbook: marker.yml, extraVars: { marker: '${marker}', label: '{{params.v}}', flag: '{{params.flag}}' } }`,
      {
        v: HOSTILE,
        flag: 'true',
      },
    );
    const result = await executor().run(target, a);
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.tasks).toEqual([
      { task: 'write the marker', status: 'changed' },
      { task: 'record the types', status: 'changed' },
    ]);
    expect(await readFile(marker, 'utf8')).toBe(HOSTILE);
    expect(await readFile(`${marker}.types`, 'utf8')).toBe('AnsibleUnsafeText AnsibleUnsafeText');
    expect(existsSync(`${marker}.tagged`)).toBe(false);
    expect(await readdir(runTmp)).toEqual([]);
  });

  it('runs only the tagged tasks when tags are given', async () => {
    const marker = join(sshd.dir, 'tags');
    const a = action(
      `{ playbook: marker.yml, tags: [extra], extraVars: { marker: '${marker}', label: x, flag: x } }`,
      { v: '', flag: '' },
    );
    const result = await executor().run(target, a);
    expect(result.tasks).toEqual([{ task: 'only when tagged', status: 'changed' }]);
    expect(existsSync(`${marker}.tagged`)).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('in check mode changes nothing and lists the tasks that would change', async () => {
    const marker = join(sshd.dir, 'checked');
    const a = {
      ...action(`{ playbook: marker.yml, extraVars: { marker: '${marker}', label: x, flag: x } }`, {
        v: '',
        flag: '',
      }),
      check: true,
    };
    const result = await executor().run(target, a);
    expect(result).toMatchObject({ ok: true });
    expect(result.tasks).toEqual([
      { task: 'write the marker', status: 'changed' },
      { task: 'record the types', status: 'changed' },
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it('fails the step with the failing task name', async () => {
    const result = await executor().run(target, action('{ playbook: fail.yml }', { v: '', flag: '' }));
    expect(result).toMatchObject({
      ok: false,
      exitCode: 2,
      errorCode: 'E_ANSIBLE',
      error: 'task "break on purpose" failed: the disk is full',
      tasks: [
        { task: 'fine first', status: 'ok' },
        { task: 'break on purpose', status: 'failed', message: 'the disk is full' },
      ],
    });
    expect(result.output).toBe('ok: fine first\nfailed: break on purpose\n');
  });

  it('refuses a host whose key is not the pinned one, before any task', async () => {
    const marker = join(sshd.dir, 'wrong-key');
    const a = action(`{ playbook: marker.yml, extraVars: { marker: '${marker}', label: x, flag: x } }`, {
      v: '',
      flag: '',
    });
    const result = await executor().run({ ...target, hostKeys: [randomHostKey()] }, a);
    expect(result).toMatchObject({ ok: false, errorCode: 'E_HOST_KEY' });
    expect(result.error).toMatch(
      /^task "write the marker" could not reach the host: [\s\S]*Host key verification failed/,
    );
    expect(result.tasks!.map((t) => t.status)).toEqual(['unreachable']);
    expect(existsSync(marker)).toBe(false);
  });
});
