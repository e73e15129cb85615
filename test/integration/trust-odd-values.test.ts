import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
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
/** What the "show config" endpoint answers: files of remediator's own data directory, as a target on
 * the same host might print them (a status page, `cat`, a support bundle). */
let config = '';

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
  'header.yaml': `
name: header
match: ['alertname = "Header"']
target: api
${POLICY}
params:
  who: { from: '{{labels.who}}', pattern: '(?s).{1,40}' }
steps:
  - name: first
    http: { path: /first, timeout: 2s }
  - name: tell
    http: { path: /tell, headers: { x-who: '{{params.who}}' }, timeout: 2s }
`,
  'show.yaml': `
name: show
match: ['alertname = "Show"']
target: api
${POLICY}
steps:
  - name: show
    http: { method: GET, path: /config, timeout: 2s }
`,
};

beforeAll(async () => {
  server = createServer((req, res) => {
    reached.push(req.url ?? '');
    res.end(req.url === '/config' ? config : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // No REMEDIATOR_OPERATOR_TOKEN and no REMEDIATOR_APPROVAL_SECRET: both are generated in the data dir.
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

describe('secrets remediator made itself', () => {
  it('are redacted from step output like configured ones (the generated operator token and link secret)', async () => {
    const dataDir = join(svc.dir, 'data');
    const token = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
    const linkSecret = readFileSync(join(dataDir, 'approval-secret'), 'utf8').trim();
    expect(token).toBe(svc.operatorToken);
    config = `operator-token=${token}\napproval-secret=${linkSecret}\n`;
    const run = await fire({ alertname: 'Show' }, 'show');
    expect(run).toMatchObject({ status: 'succeeded' });
    const output = run.steps[0]!.output ?? '';
    expect(output).toBe('operator-token=[REDACTED]\napproval-secret=[REDACTED]\n');
    const api = await (await svc.get(`/api/v1/runs/${run.id}`)).text();
    for (const text of [api, svc.logs()]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(linkSecret);
    }
  });
});

describe('a header value from alert data', () => {
  it('that fetch cannot send fails the run before its first step, not at the step that sends it', async () => {
    const before = reached.length;
    const run = await fire({ alertname: 'Header', who: 'dot\uff0edot' }, 'header');
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(run.message).toContain(
      'step "tell": header x-who would contain U+FF0E; a header value carries printable ASCII, space and TAB only',
    );
    expect(reached.slice(before)).toEqual([]);
  });

  it('with a Latin-1 character is refused too, rather than sent as a raw byte', async () => {
    const run = await fire({ alertname: 'Header', who: 'caf\u00e9' }, 'header');
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(run.message).toContain('header x-who would contain U+00E9');
  });
});
