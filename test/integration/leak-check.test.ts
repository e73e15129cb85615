import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv } from '../harness/child-env.ts';
import { describeLeaks, findLeftovers, findOwnProcesses } from '../harness/leaks/scan.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  // The whole group: the shell and its sleep.
  for (const child of started.splice(0)) process.kill(-child.pid!, 'SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fakeRunDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'fake-run-')));
  dirs.push(dir);
  return dir;
}

function startSleep(options: { cwd?: string; env: Record<string, string>; args?: string[] }): ChildProcess {
  // `sh -c 'sleep 60; :' NAME`: the shell stays (no exec), and NAME shows in its arguments.
  const child = spawn('sh', ['-c', 'sleep 60; :', ...(options.args ?? ['sleeper'])], {
    stdio: 'ignore',
    detached: true,
    cwd: options.cwd ?? '/',
    env: options.env,
  });
  started.push(child);
  return child;
}

describe('the leak check (vitest globalSetup, test/harness/leaks/)', () => {
  it('fails a run whose test leaves a process and a temp file, names the test, and kills the process', async () => {
    const run = promisify(execFile)(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/leaky/vitest.config.ts'],
      { cwd: ROOT, env: childEnv({ NO_COLOR: '1' }), timeout: 60_000 },
    );
    const failure = (await run.then(
      () => undefined,
      (err: unknown) => err,
    )) as { code: number; stderr: string } | undefined;
    expect(failure?.code).toBe(1);
    const report = failure!.stderr.slice(failure!.stderr.indexOf('leak check failed'));
    expect(report).toMatch(
      new RegExp(
        [
          '^leak check failed: the tests left behind',
          '1 process\\(es\\) outlived the tests \\(killed now\\):',
          '  pid (\\d+) \\(env\\) started by test/fixtures/leaky/leaks.fixture.ts > leaves a sleep running and a file behind: sleep 60',
          "1 temp file\\(s\\) or directory\\(ies\\) left \\(t-<name>: the test file's\\):",
          '  t-leaks.fixture.ts-\\w{6}/left-behind.txt\n$',
        ].join('\n'),
      ),
    );
    const pid = Number(/pid (\d+)/.exec(report)![1]);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('finds processes by the run variable, a working directory or arguments in the run directory', async () => {
    const runDir = await fakeRunDir();
    const other = await fakeRunDir();
    await mkdir(join(runDir, 'redis'));
    const base = { PATH: process.env['PATH'] ?? '' };
    const byEnv = startSleep({
      env: { ...base, TEST_RUN_DIR: runDir, TEST_STARTED_BY: 'a.test.ts > starts' },
    });
    const byCwd = startSleep({ env: base, cwd: join(runDir, 'redis') });
    const byArgs = startSleep({ env: base, args: [join(runDir, 'sshd_config')] });
    startSleep({ env: { ...base, TEST_RUN_DIR: other }, cwd: other });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const found = await findOwnProcesses(runDir, { exclude: (pid) => pid === process.pid });
    const shells = found.filter((p) => p.command.startsWith('sh -c'));
    expect(
      shells
        .map(({ pid, evidence, startedBy }) => ({ pid, evidence, startedBy }))
        .sort((a, b) => a.pid - b.pid),
    ).toEqual(
      [
        { pid: byEnv.pid, evidence: 'env', startedBy: 'a.test.ts > starts' },
        { pid: byCwd.pid, evidence: 'cwd', startedBy: undefined },
        { pid: byArgs.pid, evidence: 'args', startedBy: undefined },
      ].sort((a, b) => a.pid! - b.pid!),
    );
    const excluded = await findOwnProcesses(runDir, { exclude: (pid) => pid === byEnv.pid });
    expect(excluded.map((p) => p.pid)).not.toContain(byEnv.pid);
  });

  it('lists what is left in the run directory, down to each test file directory, and skips caches', async () => {
    const runDir = await fakeRunDir();
    await mkdir(join(runDir, 't-a-x1'));
    await mkdir(join(runDir, 't-a-x1', 'remediator-svc-1'));
    await mkdir(join(runDir, 't-b-x2'));
    await mkdir(join(runDir, 't-b-x2', 'tsx-0'));
    await mkdir(join(runDir, 'tsx-0'));
    await writeFile(join(runDir, 'stray.txt'), '');
    const left = await findLeftovers(runDir, (name) => name === 'tsx-0');
    expect(left).toEqual(['stray.txt', 't-a-x1/remediator-svc-1']);
    expect(describeLeaks([], [])).toBe('');
    expect(describeLeaks([{ pid: 7, command: 'redis-server 127.0.0.1:1', evidence: 'cwd' }], left)).toBe(
      [
        '1 process(es) outlived the tests (killed now):',
        '  pid 7 (cwd) started by an unknown test: redis-server 127.0.0.1:1',
        "2 temp file(s) or directory(ies) left (t-<name>: the test file's):",
        '  stray.txt',
        '  t-a-x1/remediator-svc-1',
      ].join('\n'),
    );
  });
});
