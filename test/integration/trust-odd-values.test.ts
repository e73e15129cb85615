import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * Found by an outside review of the running service: values an attacker can post that the checks
 * did not expect. A real HTTP target records what reached it.
 */
let server: Server;
let svc: TestService;
const reached: string[] = [];
const POLICY = `policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }`;
const RUNBOOKS = {
  'note.yaml': `
name: note
match: ['alertname = "Note"']
target: api
${POLICY}
params:
  svc: { from: '{{labels.svc}}', pattern: '(?s).{1,40}' }
steps:
  - name: call
    http: { path: '/admin/{{params.svc}}', body: { s: '{{params.svc}}' }, timeout: 2s }
`,
};

beforeAll(async () => {
  server = createServer((req, res) => {
    reached.push(req.url ?? '');
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: `targets:\n  api:\n    http: { baseUrl: "${baseUrl}" }\n`,
  });
});

afterAll(async () => {
  await svc?.stop();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function fire(labels: Record<string, string>, runbook: string) {
  const body = payload([{ labels }]);
  // JSON.stringify writes a lone surrogate as the escape "\ud800", as any client may send it.
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const alert = body.alerts[0]!;
  return svc.waitForRun(runId(runbook, alert.fingerprint, alert.startsAt));
}

describe('a lone UTF-16 surrogate in an alert', () => {
  it('in a label nothing uses does not stop the run (it failed E_INTERNAL "URI malformed")', async () => {
    const run = await fire({ alertname: 'Note', svc: 'abc', note: 'x\ud800y' }, 'note');
    expect(run).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(reached).toContain('/admin/abc');
  });

  it('in a param a path uses fails the run E_UNSAFE_ARG before anything is called', async () => {
    const before = reached.length;
    const run = await fire({ alertname: 'Note', svc: 'a\udc00b' }, 'note');
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(run.message).toContain('params.svc holds a lone UTF-16 surrogate, which no URL can carry');
    expect(reached.length).toBe(before);
  });
});
