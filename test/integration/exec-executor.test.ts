import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passedEnvValues, type LocalStepSettings } from '../../src/config/local-settings.ts';
import { parseRunbook } from '../../src/config/runbooks.ts';
import { createExecExecutor } from '../../src/execute/exec.ts';
import type { ExecAction } from '../../src/execute/executor.ts';
import { renderSteps } from '../../src/execute/render-run.ts';
import type { RunnerDeps } from '../../src/execute/runner-deps.ts';
import { execute } from '../../src/execute/step-exec.ts';
import { createRedactor } from '../../src/record/redact.ts';
import type { Alert, Runbook } from '../../src/types.ts';

/** exec steps run real programs: shell scripts this test writes, and /usr/bin/env. */
let dir: string;
let local: LocalStepSettings;

const script = async (name: string, body: string) => {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-exec-'));
  local = { execAllow: [`${dir}/`, '/usr/bin/env'], execPath: [dir], execEnv: ['REMEDIATOR_TEST_TOKEN'] };
  // The program gets PATH = REMEDIATOR_EXEC_PATH (here only dir), so scripts name other programs in full.
  // Each argument, NUL-terminated, into the file named by the first.
  await script('argv.sh', 'out="$1"; shift; for a in "$@"; do printf "%s\\0" "$a"; done > "$out"');
  await script('stdin-cwd.sh', '/bin/cat > "$1"; pwd > "$2"');
  await script('exit3.sh', 'echo before >&2; exit 3');
  await script(
    'loud.sh',
    'i=0; while [ $i -lt 400 ]; do echo "line $i of a long output"; i=$((i+1)); done; echo THE-END',
  );
  // A grandchild in the background; the script waits for it, past the step's timeout.
  await script('hang.sh', '/bin/sleep 300 & echo $! > "$1"; wait');
  // The script ends at once, leaving a grandchild that holds stdout.
  await script('leave.sh', '/bin/sleep 300 & echo $! > "$1"; echo left');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const alert = (labels: Record<string, string>): Alert => ({
  status: 'firing',
  labels: { alertname: 'A', ...labels },
  annotations: {},
  startsAt: '2026-01-01T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint: 'abc',
});

function load(steps: string): Runbook {
  const text =
    `name: rb\nmatch: ['alertname = "A"']\ntarget: ctl\n` +
    `params:\n  v: { from: '{{labels.v}}', pattern: '[\\s\\S]*' }\nsteps:\n${steps}`;
  const result = parseRunbook('rb.yaml', text, local);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

describe('exec steps run real programs', () => {
  const HOSTILE = [
    '; rm -rf /',
    '$(id)',
    '`id`',
    'a\nb',
    `it's "quoted"`,
    ' spaced * ',
    '|| true',
    '>/tmp/x',
  ];

  it.each(HOSTILE)('passes the alert value %j as one argv element, unchanged', async (value) => {
    const out = join(dir, 'argv.out');
    const rb = load(
      `  - name: fix\n    exec: { command: [argv.sh, ${out}, '{{params.v}}', 'x{{params.v}}y', plain] }\n`,
    );
    const [action] = renderSteps(rb, alert({ v: value }), 'ctl');
    const result = await createExecExecutor({ settings: local, env: {} }).run(action as ExecAction);
    expect(result).toEqual({ ok: true, exitCode: 0, output: '' });
    expect((await readFile(out, 'utf8')).split('\0')).toEqual([value, `x${value}y`, 'plain', '']);
  });

  it('refuses a value starting with "-" before anything runs (it would be an option)', () => {
    const rb = load(`  - name: fix\n    exec: { command: [argv.sh, /dev/null, '{{params.v}}'] }\n`);
    expect(() => renderSteps(rb, alert({ v: '-rf' }), 'ctl')).toThrow(
      /starts with "-" and could be read as an option/,
    );
  });

  it('gives the program exactly the step env, PATH and the allow-listed variables: nothing else of remediator', async () => {
    const rb = load(
      `  - name: fix\n    exec:\n      command: [/usr/bin/env, '-0']\n      env: { HOSTILE: '{{params.v}}', FIXED: 'a b' }\n`,
    );
    const [action] = renderSteps(rb, alert({ v: '$(id)\n; x' }), 'ctl');
    const serviceEnv = { REMEDIATOR_TEST_TOKEN: 'tok-123456', HOME: '/root', REDIS_URL: 'redis://:pw@x' };
    const result = await createExecExecutor({ settings: local, env: serviceEnv }).run(action as ExecAction);
    expect(result.ok).toBe(true);
    const vars = result.output
      .replace(/^stdout:\n/, '')
      .replace(/\n$/, '')
      .split('\0')
      .filter(Boolean)
      .sort();
    expect(vars).toEqual([
      'FIXED=a b',
      'HOSTILE=$(id)\n; x',
      `PATH=${dir}`,
      'REMEDIATOR_TEST_TOKEN=tok-123456',
    ]);
  });

  it("redacts the passed-through variables from what the program prints (they are the operator's secrets)", async () => {
    const serviceEnv = { REMEDIATOR_TEST_TOKEN: 'tok-123456' };
    const action: ExecAction = { kind: 'exec', argv: ['/usr/bin/env'], env: {}, timeoutMs: 10_000 };
    const deps = {
      executors: { exec: createExecExecutor({ settings: local, env: serviceEnv }) },
      redact: createRedactor(passedEnvValues(local, serviceEnv)),
    } as unknown as RunnerDeps;
    const result = await execute(deps, action, { name: 'ctl' });
    expect(result.output).toContain('REMEDIATOR_TEST_TOKEN=[REDACTED]');
    expect(result.output).not.toContain('tok-123456');
  });

  it('writes stdin and runs in cwd', async () => {
    const rb = load(
      `  - name: fix\n    exec:\n      command: [stdin-cwd.sh, ${dir}/stdin.out, ${dir}/cwd.out]\n      cwd: /tmp\n      stdin: "drain {{params.v}}\\n"\n`,
    );
    const [action] = renderSteps(rb, alert({ v: 'web-1' }), 'ctl');
    const result = await createExecExecutor({ settings: local, env: {} }).run(action as ExecAction);
    expect(result.ok).toBe(true);
    expect(await readFile(join(dir, 'stdin.out'), 'utf8')).toBe('drain web-1\n');
    expect(await readFile(join(dir, 'cwd.out'), 'utf8')).toBe('/tmp\n');
  });

  it('lets the exit code decide', async () => {
    const action: ExecAction = { kind: 'exec', argv: ['exit3.sh'], env: {}, timeoutMs: 10_000 };
    expect(await createExecExecutor({ settings: local, env: {} }).run(action)).toEqual({
      ok: false,
      exitCode: 3,
      output: 'stderr:\nbefore\n',
      errorCode: 'E_EXIT',
      error: 'exit3.sh exited with code 3',
    });
  });

  it('keeps the head and the tail of a long output', async () => {
    const action: ExecAction = { kind: 'exec', argv: ['loud.sh'], env: {}, timeoutMs: 10_000 };
    const result = await createExecExecutor({ settings: local, env: {} }).run(action);
    expect(result.output).toMatch(/^stdout:\nline 0 of a long output\n/);
    expect(result.output).toMatch(/…\[\d+ bytes truncated\]…/);
    expect(result.output).toMatch(/THE-END\n$/);
    expect(result.output.length).toBeLessThan(4300);
  });

  it('kills the whole process group at the timeout: a grandchild sleep dies too', async () => {
    const pidFile = join(dir, 'hang.pid');
    const action: ExecAction = { kind: 'exec', argv: ['hang.sh', pidFile], env: {}, timeoutMs: 300 };
    const result = await createExecExecutor({ settings: local, env: {} }).run(action);
    expect(result).toMatchObject({
      ok: false,
      errorCode: 'E_TIMEOUT',
      error: 'hang.sh ran past its 300 ms timeout; its process group was killed',
    });
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(await gone(pid)).toBe(true);
  });

  it('ends what the program left running when it exits, instead of waiting on its open stdout', async () => {
    const pidFile = join(dir, 'leave.pid');
    const action: ExecAction = { kind: 'exec', argv: ['leave.sh', pidFile], env: {}, timeoutMs: 20_000 };
    const started = Date.now();
    const result = await createExecExecutor({ settings: local, env: {} }).run(action);
    expect(result).toEqual({ ok: true, exitCode: 0, output: 'stdout:\nleft\n' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await gone(Number(await readFile(pidFile, 'utf8')))).toBe(true);
  });

  it('stops on abort (shutdown) and kills the group', async () => {
    const pidFile = join(dir, 'abort.pid');
    const action: ExecAction = { kind: 'exec', argv: ['hang.sh', pidFile], env: {}, timeoutMs: 20_000 };
    const controller = new AbortController();
    const running = createExecExecutor({ settings: local, env: {} }).run(action, controller.signal);
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort(new Error('shutdown'));
    expect(await running).toMatchObject({
      errorCode: 'E_TIMEOUT',
      error: 'hang.sh was stopped (the step was aborted); its process group was killed',
    });
    expect(await gone(Number(await readFile(pidFile, 'utf8')))).toBe(true);
  });

  it('refuses at run time a program the allow-list no longer holds, and a name not found', async () => {
    const exec = createExecExecutor({ settings: local, env: {} });
    expect(await exec.run({ kind: 'exec', argv: ['/bin/sh', '-c', 'id'], env: {}, timeoutMs: 1000 })).toEqual(
      {
        ok: false,
        output: '',
        errorCode: 'E_EXEC',
        error: '/bin/sh is not allowed by REMEDIATOR_EXEC_ALLOW',
      },
    );
    expect(await exec.run({ kind: 'exec', argv: ['nope'], env: {}, timeoutMs: 1000 })).toEqual({
      ok: false,
      output: '',
      errorCode: 'E_EXEC',
      error: `nope: no executable of that name in REMEDIATOR_EXEC_PATH (${dir})`,
    });
  });
});
