import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { childEnv } from '../harness/child-env.ts';
import { payload } from '../harness/payloads.ts';

/** `remediator validate` and `remediator test` on exec and ansible steps, through the real CLI. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/remediator.js', ...args],
      { cwd: ROOT, env: childEnv({ HOME: tmp, ...env }), timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number | string }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}
const lines = (text: string) => text.replace(/\n$/, '').split('\n');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cli-local-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const EXAMPLES_ALLOW = { REMEDIATOR_EXEC_ALLOW: '/usr/local/bin/kubectl,/usr/bin/systemd-run' };

describe('remediator validate with exec steps', () => {
  it('accepts the exec examples once REMEDIATOR_EXEC_ALLOW holds their programs', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'examples/exec'], EXAMPLES_ALLOW);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(stdout).slice(0, 3)).toEqual([
      'ok: 2 runbook(s)',
      '  kubectl-rollout-restart (examples/exec/kubectl-rollout-restart.yaml): 1 step(s), on firing',
      '  systemd-run-restart (examples/exec/systemd-run-restart.yaml): 1 step(s), on firing',
    ]);
  });

  it('refuses them, with file:line, while the allow-list is empty', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'examples/exec']);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(lines(stderr)).toEqual([
      'examples/exec/kubectl-rollout-restart.yaml:22: step "rollout-restart": exec.command[0]: "/usr/local/bin/kubectl" is not allowed by REMEDIATOR_EXEC_ALLOW (it is empty)',
      'examples/exec/systemd-run-restart.yaml:18: step "restart-unit": exec.command[0]: "/usr/bin/systemd-run" is not allowed by REMEDIATOR_EXEC_ALLOW (it is empty)',
    ]);
  });
});

describe('remediator test with exec steps', () => {
  it('renders the argv a hostile label would give, and runs nothing', async () => {
    const dir = join(tmp, 'dry');
    await mkdir(join(dir, 'runbooks'), { recursive: true });
    const marker = join(dir, 'ran');
    const program = join(dir, 'fix.sh');
    await writeFile(program, `#!/bin/sh\n/usr/bin/touch ${marker}\n`);
    await chmod(program, 0o755);
    await writeFile(
      join(dir, 'runbooks', 'fix.yaml'),
      `name: fix\nmatch: ['alertname = "Local"']\ntarget: ctl\n` +
        `params:\n  v: { from: '{{labels.v}}', pattern: '[\\s\\S]*' }\n` +
        `steps:\n  - name: fix\n    exec: { command: [${program}, '{{params.v}}'], env: { WHY: '{{params.v}}' }, timeout: 5s }\n`,
    );
    await writeFile(join(dir, 'inventory.yaml'), 'targets:\n  ctl: { local: true }\n');
    const file = join(dir, 'alert.json');
    const at = '2026-11-21T07:18:09.123Z';
    await writeFile(
      file,
      JSON.stringify(
        payload([{ labels: { alertname: 'Local', v: '$(id); rm -rf /\n' }, fingerprint: 'c1' }]),
      ),
    );
    const env = {
      REMEDIATOR_RUNBOOKS_DIR: join(dir, 'runbooks'),
      REMEDIATOR_INVENTORY: join(dir, 'inventory.yaml'),
      REMEDIATOR_EXEC_ALLOW: program,
    };
    const { code, stdout, stderr } = await cli(['test', file], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(stdout)).toEqual([
      `alert {alertname="Local", v="$(id); rm -rf /\\n"} firing (fingerprint c1, startsAt ${at})`,
      `  runbook fix (${join(dir, 'runbooks', 'fix.yaml')}) run ${runId('fix', 'c1', at)}`,
      '    target ctl via local',
      `    1. fix: exec ["${program}","$(id); rm -rf /\\n"] env {"WHY":"$(id); rm -rf /\\n"} (timeout 5000 ms)`,
      '(policy decisions not shown: set REDIS_URL to see them against live state, or pass --fresh)',
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it('renders an ansible step: the playbook under its directory, extra vars as they will be written', async () => {
    const dir = join(tmp, 'dry-ansible');
    await mkdir(join(dir, 'runbooks'), { recursive: true });
    await writeFile(
      join(dir, 'runbooks', 'play.yaml'),
      `name: play\nmatch: ['alertname = "Play"']\ntarget: box\n` +
        `params:\n  svc: { from: '{{labels.service}}', pattern: '[\\s\\S]*' }\n` +
        `steps:\n  - name: restart\n    ansible: { playbook: web/restart.yml, extraVars: { service: '{{params.svc}}' }, tags: [restart] }\n`,
    );
    await writeFile(
      join(dir, 'inventory.yaml'),
      `targets:\n  box:\n    ssh: { host: 10.0.0.5, user: ops, key: /k, hostKey: 'ssh-ed25519 AAAA' }\n`,
    );
    const file = join(dir, 'alert.json');
    const at = '2026-11-21T07:18:09.123Z';
    const labels = { alertname: 'Play', service: "{{ lookup('pipe', 'id') }}" };
    await writeFile(file, JSON.stringify(payload([{ labels, fingerprint: 'd1' }])));
    const env = {
      REMEDIATOR_RUNBOOKS_DIR: join(dir, 'runbooks'),
      REMEDIATOR_INVENTORY: join(dir, 'inventory.yaml'),
      REMEDIATOR_ANSIBLE_PLAYBOOKS: '/srv/playbooks',
    };
    const { code, stdout, stderr } = await cli(['test', file], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(stdout).slice(1, 4)).toEqual([
      `  runbook play (${join(dir, 'runbooks', 'play.yaml')}) run ${runId('play', 'd1', at)}`,
      '    target box via ssh ops@10.0.0.5:22',
      `    1. restart: ansible-playbook /srv/playbooks/web/restart.yml --tags restart extra vars {"service":"{{ lookup('pipe', 'id') }}"} (timeout 300000 ms)`,
    ]);
  });
});
