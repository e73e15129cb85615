import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetInstance } from '../../demo/fleet.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { startHaproxy, type TestHaproxy } from '../harness/haproxy.ts';
import { payload } from '../harness/payloads.ts';
import { freePort } from '../harness/ports.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * Alert data in stdin must never become a second command of a line protocol. A drain runbook like
 * runbooks/drain-erroring-instance.yaml, but whose author gave `server` a pattern that lets anything
 * through, feeds a real HAProxy's runtime API through haproxy-cmd over a real sshd: a hostile instance
 * label is refused before anything runs, and HAProxy's servers keep their admin state.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
let haproxy: TestHaproxy;
let sshd: Sshd;
let svc: TestService;
let fleet: FleetInstance[];

const runbook = (socket: string) => `
name: drain
match: ['alertname = "HighErrorRate"']
target: lb
params:
  backend: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }
  server: { from: '{{labels.instance}}', pattern: '[A-Za-z0-9][\\s\\S]*' }
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: drain
    ssh:
      command: ["${process.execPath}", "${join(ROOT, 'demo/bin/haproxy-cmd')}", "${socket}"]
      stdin: "set server {{params.backend}}/{{params.server}} state drain\\n"
      timeout: 10s
`;

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  fleet = ports.map((port, i) => ({
    service: 'user-service',
    instance: i + 1,
    port,
    name: `app-${i + 1}:${port}`,
  }));
  haproxy = await startHaproxy(fleet);
  sshd = await startSshd();
  const ssh = `{ host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" }`;
  svc = await startTestService({
    runbooks: { 'drain.yaml': runbook(haproxy.socketPath) },
    inventory: `targets:\n  lb: { ssh: ${ssh} }\n`,
  });
});

afterAll(async () => {
  await svc?.stop();
  await sshd?.stop();
  await haproxy?.stop();
});

/** Each server's srv_admin_state (`show servers state`: 8 = drained from the runtime API, 1 = maint). */
async function adminStates(): Promise<Record<string, string>> {
  const text = await haproxy.command('show servers state user-service');
  const states: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields[1] === 'user-service') states[fields[3]!] = fields[6]!;
  }
  return states;
}

async function drain(instance: string) {
  const body = payload([{ labels: { alertname: 'HighErrorRate', service: 'user-service', instance } }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const alert = body.alerts[0]!;
  return svc.waitForRun(runId('drain', alert.fingerprint, alert.startsAt));
}

describe('stdin from alert data into HAProxy runtime API (real HAProxy, real sshd)', () => {
  it('drains the named server: the path under test works', async () => {
    const [one, two] = fleet.map((f) => f.name);
    expect(await adminStates()).toEqual({ [one!]: '0', [two!]: '0' });
    const run = await drain(one!);
    expect(run.status).toBe('succeeded');
    expect(await adminStates()).toEqual({ [one!]: '8', [two!]: '0' });
    await haproxy.command(`set server user-service/${one} state ready`);
    expect(await adminStates()).toEqual({ [one!]: '0', [two!]: '0' });
  });

  it('HAProxy itself runs what follows a ";" as a second command (why the refusal matters)', async () => {
    const [one, two] = fleet.map((f) => f.name);
    await haproxy.command(`set server user-service/${one} state ready; disable server user-service/${two}`);
    expect(await adminStates()).toEqual({ [one!]: '0', [two!]: '1' });
    await haproxy.command(`enable server user-service/${two}`);
    expect(await adminStates()).toEqual({ [one!]: '0', [two!]: '0' });
  });

  it.each([
    [
      '";" then disable server',
      (a: string, b: string) => `${a} state ready; disable server user-service/${b}`,
    ],
    [
      '";" then shutdown sessions',
      (a: string, b: string) => `${a}; shutdown sessions server user-service/${b}`,
    ],
    ['"\\;" escaping', (a: string, b: string) => `${a} state ready\\; disable server user-service/${b}`],
    ['NUL', (a: string, b: string) => `${a} state ready\0disable server user-service/${b}`],
    ['vertical tab', (a: string, b: string) => `${a} state ready\vdisable server user-service/${b}`],
    ['form feed', (a: string, b: string) => `${a} state ready\fdisable server user-service/${b}`],
    ['a line feed', (a: string, b: string) => `${a} state ready\ndisable server user-service/${b}`],
    ['U+0085', (a: string, b: string) => `${a} state ready\u0085disable server user-service/${b}`],
    ['U+2028', (a: string, b: string) => `${a} state ready\u2028disable server user-service/${b}`],
  ])('refuses %s in a label before anything runs; HAProxy is unchanged', async (_name, hostile) => {
    const [one, two] = fleet.map((f) => f.name);
    const before = await adminStates();
    const run = await drain(hostile(one!, two!));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(run.message).toMatch(/^step "drain": stdin would get .* from params\.server at offset \d+; /);
    expect(run.steps).toEqual([]);
    expect(await adminStates()).toEqual(before);
  });
});
