import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SshAction } from '../../src/execute/executor.ts';
import { createSshExecutor } from '../../src/execute/ssh.ts';
import type { SshTarget } from '../../src/types.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { canCreateUsers, createLoginUser, removeStaleUsers, type LoginUser } from '../harness/login-users.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * sshd hands an ssh step's command line to the target user's LOGIN SHELL, whatever it is. For each
 * shell a Debian host can have, a real sshd logs in as a user whose passwd entry names that shell and
 * runs a script that prints its argv in hex: every hostile value must arrive intact as one argument,
 * and what no quoting carries to all of them must be refused before connecting.
 * Needs root (CI is) to create the users.
 */
const SHELLS = [
  '/bin/sh',
  '/bin/dash',
  '/bin/bash',
  '/usr/bin/zsh',
  '/usr/bin/ksh',
  '/bin/mksh',
  '/bin/posh',
  '/usr/bin/yash',
  '/usr/bin/fish',
  '/usr/bin/tcsh',
  '/bin/csh',
];

const PWNED = join(tmpdir(), `remediator-pwned-${process.pid}`);
const HOSTILE = [
  `; touch ${PWNED}`,
  `$(touch ${PWNED})`,
  `\`touch ${PWNED}\``,
  `\\'; touch ${PWNED}; echo \\'`,
  "'",
  '"',
  '\\',
  "\\'",
  "x\\'; touch " + PWNED + ' #',
  '!',
  '!!',
  'a!b',
  '!$',
  '!x:s/a/b/',
  '\\!',
  '$HOME',
  '${HOME}',
  '~root',
  '~',
  '*',
  '?',
  '[a]',
  '{a,b}',
  '%',
  '%self',
  '=ls',
  '^a^b',
  '#',
  'a#b',
  'a\tb',
  '',
  ' ',
  '&|<>();',
  'it\'s "quoted" \\n',
];

/** Prints each argument in hex on its own line (`od -v`: never folds repeated lines into `*`). */
const DUMP = `#!/bin/sh\nfor a in "$@"; do printf '%s' "$a" | od -An -tx1 -v | tr -d ' \\n'; echo; done\n`;
const hex = (values: readonly string[]) =>
  `stdout:\n${values.map((v) => `${Buffer.from(v).toString('hex')}\n`).join('')}`;

let sshd: Sshd;
let svc: TestService | undefined;
let homes: string;
let dump: string;
const users = new Map<string, LoginUser>();
const executor = createSshExecutor();

const targetOf = (user: string): SshTarget => ({
  host: sshd.host,
  port: sshd.port,
  user,
  keyFile: sshd.keyFile,
  hostKeys: [sshd.hostKey],
});
const ssh = (argv: string[]): SshAction => ({ kind: 'ssh', argv, timeoutMs: 15_000 });

describe.runIf(canCreateUsers())('ssh steps under every login shell (real sshd, real shells)', () => {
  beforeAll(async () => {
    const missing = SHELLS.filter((shell) => !existsSync(shell));
    if (missing.length > 0) throw new Error(`install the shells ${missing.join(', ')} (see .ci/run)`);
    await removeStaleUsers();
    sshd = await startSshd();
    // sshd reads authorized_keys as the user logging in; the private key stays 0600.
    await chmod(sshd.dir, 0o711);
    await chmod(join(sshd.dir, 'authorized_keys'), 0o644);
    dump = join(sshd.dir, 'argv-dump');
    await writeFile(dump, DUMP, { mode: 0o755 });
    homes = await mkdtemp(join(tmpdir(), 'remediator-homes-'));
    for (const shell of SHELLS) users.set(shell, await createLoginUser(shell, homes));
  });

  afterAll(async () => {
    await svc?.stop();
    for (const user of users.values()) await user.remove();
    await sshd?.stop();
    if (homes) await rm(homes, { recursive: true, force: true });
    await rm(PWNED, { force: true });
  });

  it.each(SHELLS)('%s: every hostile value arrives intact, as one argument', async (shell) => {
    const user = users.get(shell)!;
    const result = await executor.run(targetOf(user.name), ssh([dump, ...HOSTILE, 'end']));
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.output).toBe(hex([...HOSTILE, 'end']));
    expect(existsSync(PWNED)).toBe(false);
  });

  it.each([
    ['a newline', 'a\ntouch x', 'a control character, line feed (U+000A) at offset 1'],
    ['a carriage return', 'a\rb', 'a control character, carriage return (U+000D) at offset 1'],
    ['NUL', 'a\0b', 'a control character, NUL (U+0000) at offset 1'],
    ['DEL', 'a\x7f', 'a control character, DEL (U+007F) at offset 1'],
    ['unicode', 'héllo', 'a non-ASCII character, U+00E9 at offset 1'],
    ['U+2028', 'a\u2028b', 'a non-ASCII character, U+2028 at offset 1'],
  ])('refuses %s before connecting (csh, tcsh or yash cannot take it)', async (_name, value, why) => {
    const readFile = vi.fn(async () => '');
    const user = users.get('/usr/bin/tcsh')!;
    const result = await createSshExecutor({ readFile }).run(targetOf(user.name), ssh([dump, value]));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_UNSAFE_ARG', output: '' });
    expect(result.error).toContain(`argv[1] ${JSON.stringify(value)} contains ${why}`);
    expect(readFile).not.toHaveBeenCalled();
  });

  it.each(['/usr/bin/fish', '/usr/bin/tcsh'])(
    '%s: a hostile label reaches the command intact through the whole service, or stops the run',
    async (shell) => {
      const user = users.get(shell)!;
      const ssh = `{ host: 127.0.0.1, port: ${sshd.port}, user: ${user.name}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" }`;
      await svc?.stop();
      svc = await startTestService({
        runbooks: {
          'dump.yaml': `
name: dump
match: ['alertname = "Dump"']
target: host
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
params:
  payload: { from: '{{labels.payload}}', pattern: '(?s).*' }
steps:
  - name: dump
    ssh: { command: ["${dump}", "{{params.payload}}", end] }
`,
        },
        inventory: `targets:\n  host: { ssh: ${ssh} }\n`,
      });
      const dumpRun = async (value: string) => {
        const body = payload([{ labels: { alertname: 'Dump', payload: value } }]);
        expect((await svc!.post('/hooks/alertmanager', body)).status).toBe(202);
        const alert = body.alerts[0]!;
        return svc!.waitForRun(runId('dump', alert.fingerprint, alert.startsAt));
      };
      // Under fish, the sh-only quoting of 14a034e ran this `touch`: `\'` does not close fish's quotes.
      const hostile = `\\'; touch ${PWNED}; echo \\' !! \`id\` $(id)`;
      const run = await dumpRun(hostile);
      expect(run.status).toBe('succeeded');
      expect(run.steps[0]!.output).toBe(hex([hostile, 'end']));
      const refused = await dumpRun('caf\u00e9');
      expect(refused).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
      expect(refused.steps).toEqual([]);
      expect(existsSync(PWNED)).toBe(false);
    },
  );
});
