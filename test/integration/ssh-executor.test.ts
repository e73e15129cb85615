import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSshExecutor } from '../../src/execute/ssh.ts';
import type { SshAction } from '../../src/execute/executor.ts';
import type { SshTarget } from '../../src/types.ts';
import { freePort } from '../harness/ports.ts';
import { randomHostKey, startSshd, type Sshd } from '../harness/sshd.ts';

const run = promisify(execFile);
let sshd: Sshd;
let target: SshTarget;
const executor = createSshExecutor();

beforeAll(async () => {
  sshd = await startSshd();
  target = {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    keyFile: sshd.keyFile,
    hostKeys: [sshd.hostKey],
  };
});
afterAll(() => sshd?.stop());

function ssh(argv: string[], more: Partial<SshAction> = {}): SshAction {
  return { kind: 'ssh', argv, timeoutMs: 10_000, ...more };
}

describe('ssh executor against a real sshd', () => {
  it('runs a command on the host', async () => {
    const marker = join(sshd.dir, `marker-${randomUUID()}`);
    const result = await executor.run(target, ssh(['touch', marker]));
    expect(result).toEqual({ ok: true, exitCode: 0, output: '' });
    expect(existsSync(marker)).toBe(true);
  });

  it('passes hostile values as literal arguments', async () => {
    const pwned = `/tmp/pwned-${randomUUID()}`;
    const values = [
      `x; touch ${pwned}`,
      '$(id)',
      '`id`',
      "'",
      '"',
      `"; touch ${pwned}; "`,
      '*',
      '~',
      '\\',
      'a\tb',
    ];
    const result = await executor.run(target, ssh(['printf', '%s\\n', ...values]));
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.output).toBe(`stdout:\n${values.join('\n')}\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses a newline in an argument before connecting', async () => {
    const readFile = vi.fn(async () => '');
    const result = await createSshExecutor({ readFile }).run(target, ssh(['echo', 'ok\ntouch /tmp/x']));
    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe('E_UNSAFE_ARG');
    expect(result.error).toMatch(/^argv\[1\] "ok\\ntouch \/tmp\/x" contains a control character, line feed/);
    expect(readFile).not.toHaveBeenCalled();
  });

  it('feeds stdin to the command', async () => {
    const result = await executor.run(target, ssh(['cat'], { stdin: 'hello\nwörld\n' }));
    expect(result).toEqual({ ok: true, exitCode: 0, output: 'stdout:\nhello\nwörld\n' });
  });

  it('fails on a non-zero exit with the code and stderr', async () => {
    const result = await executor.run(target, ssh(['sh', '-c', 'echo done; echo broken >&2; exit 3']));
    expect(result).toEqual({
      ok: false,
      exitCode: 3,
      output: 'stdout:\ndone\nstderr:\nbroken\n',
      errorCode: 'E_EXIT',
      error: 'sh exited with code 3',
    });
  });

  it('succeeds on exit 0 whatever stderr says', async () => {
    const result = await executor.run(target, ssh(['sh', '-c', 'echo warning: deprecated >&2']));
    expect(result).toEqual({ ok: true, exitCode: 0, output: 'stderr:\nwarning: deprecated\n' });
  });

  it('fails when the command is killed by a signal', async () => {
    const result = await executor.run(target, ssh(['sh', '-c', 'kill -TERM $$']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_EXIT', error: 'sh was killed by SIGTERM' });
  });

  it('stops a command that runs past its timeout and keeps what it printed', async () => {
    const started = Date.now();
    const result = await executor.run(
      target,
      ssh(['sh', '-c', 'echo started; sleep 10'], { timeoutMs: 2000 }),
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe('E_TIMEOUT');
    expect(result.error).toMatch(/ran past its 2000 ms timeout \(connect \+ run\)/);
    expect(result.output).toBe('stdout:\nstarted\n');
  });

  it('times out at 500 ms even for a bare sleep', async () => {
    const started = Date.now();
    const result = await executor.run(target, ssh(['sleep', '5'], { timeoutMs: 500 }));
    expect(result.errorCode).toBe('E_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('ends the step when the signal aborts, with its own message', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 300);
    const result = await executor.run(target, ssh(['sleep', '5']), controller.signal);
    expect(result).toMatchObject({ ok: false, errorCode: 'E_TIMEOUT' });
    expect(result.error).toMatch(/^the step was aborted \(shutting down\); the connection was closed/);
  });

  it('does not connect when the signal is already aborted', async () => {
    const readFile = vi.fn(async () => '');
    const result = await createSshExecutor({ readFile }).run(
      target,
      ssh(['true']),
      AbortSignal.abort('stop'),
    );
    expect(result).toMatchObject({
      ok: false,
      errorCode: 'E_TIMEOUT',
      error: 'the step was aborted (stop) before it started',
    });
    expect(readFile).not.toHaveBeenCalled();
  });

  it('refuses a host whose key differs from the pinned one, before running anything', async () => {
    const marker = join(sshd.dir, `not-run-${randomUUID()}`);
    const result = await executor.run({ ...target, hostKeys: [randomHostKey()] }, ssh(['touch', marker]));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_HOST_KEY' });
    expect(result.error).toContain(`the host key of 127.0.0.1 port ${sshd.port} has CHANGED`);
    expect(result.error).toContain(`\`ssh-keyscan -p ${sshd.port} 127.0.0.1\``);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an unknown host and shows the fingerprint ssh-keygen shows', async () => {
    const { stdout } = await run('ssh-keygen', ['-l', '-f', join(sshd.dir, 'ssh_host_ed25519_key.pub')]);
    const fingerprint = stdout.split(' ')[1];
    const result = await executor.run({ ...target, hostKeys: [] }, ssh(['true']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_HOST_KEY' });
    expect(result.error).toContain(`is unknown (server offered ssh-ed25519 ${fingerprint})`);
  });

  it('accepts the host key from a known_hosts file', async () => {
    const result = await executor.run(
      { ...target, hostKeys: [], knownHostsFile: sshd.knownHostsFile },
      ssh(['echo', 'known']),
    );
    expect(result).toEqual({ ok: true, exitCode: 0, output: 'stdout:\nknown\n' });
  });

  it('accepts a known_hosts file hashed by ssh-keygen -H', async () => {
    const knownHostsFile = join(sshd.dir, `known_hosts-${randomUUID()}`);
    await copyFile(sshd.knownHostsFile, knownHostsFile);
    await run('ssh-keygen', ['-H', '-f', knownHostsFile]);
    expect(await readFile(knownHostsFile, 'utf8')).toMatch(/^\|1\|/);
    const result = await executor.run({ ...target, hostKeys: [], knownHostsFile }, ssh(['true']));
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
  });

  it('reports an unreadable known_hosts file as a host key problem', async () => {
    const knownHostsFile = join(sshd.dir, 'missing_known_hosts');
    const result = await executor.run({ ...target, hostKeys: [], knownHostsFile }, ssh(['true']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_HOST_KEY' });
    expect(result.error).toMatch(
      /^cannot read the known_hosts file, so the host key cannot be checked: ENOENT/,
    );
  });

  it('reports a refused connection as E_SSH', async () => {
    const port = await freePort();
    const result = await executor.run({ ...target, port }, ssh(['true']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_SSH' });
    expect(result.error).toBe(
      `ssh ${sshd.user}@127.0.0.1 port ${port}: connect ECONNREFUSED 127.0.0.1:${port}; ` +
        'check the host, the port and that sshd is running',
    );
  });

  it('reports a key the server does not accept as E_SSH', async () => {
    const keyFile = join(sshd.dir, `stranger-${randomUUID()}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const result = await executor.run({ ...target, keyFile }, ssh(['true']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_SSH' });
    expect(result.error).toContain('All configured authentication methods failed');
    expect(result.error).toContain(
      `check that the public half of ${keyFile} is in ${sshd.user}'s authorized_keys`,
    );
  });

  it('reports a missing private key file as E_SSH', async () => {
    const result = await executor.run({ ...target, keyFile: join(sshd.dir, 'no-such-key') }, ssh(['true']));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_SSH' });
    expect(result.error).toMatch(/^cannot read the private key file: ENOENT/);
  });

  it('keeps the head and the tail of large output', async () => {
    // 20,000 lines of 10 bytes on stdout, and the same on stderr.
    const script = 'yes abcdefghi | head -n 20000; yes ABCDEFGHI | head -n 20000 >&2';
    const result = await executor.run(target, ssh(['sh', '-c', script]));
    expect(result.ok).toBe(true);
    const head = 'abcdefghi\n'.repeat(204) + 'abcdefgh';
    const tail = 'cdefghi\n' + 'abcdefghi\n'.repeat(204);
    const cut = `\n…[${200_000 - 4096} bytes truncated]…\n`;
    const upper = (text: string) => text.toUpperCase();
    expect(result.output).toBe(`stdout:\n${head}${cut}${tail}stderr:\n${upper(head)}${cut}${upper(tail)}`);
  });
});
