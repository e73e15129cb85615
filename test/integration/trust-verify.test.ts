import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/config/runbooks.ts';
import { renderVerify } from '../../src/execute/render-verify.ts';
import { runContext } from '../../src/execute/render-run.ts';
import { runId } from '../../src/ingest/run-id.ts';
import type { Alert, RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * Verification is what ends a ladder: a forged pass stops the stronger remedy and records a lie. Here
 * the attacker shapes a label so that a verify probe hits another admin path (with the inventory's
 * credentials) or a PromQL check always passes; against a real Prometheus and a real HTTP server.
 */
let prometheus: TestPrometheus;
let app: RoutedHttp;
let svc: TestService;

const POLICY = `policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }`;
// Permissive patterns on purpose: what is tested is the encoding behind the door, not the pattern.
const ANY = `pattern: '(?s).{1,200}'`;
const ladder = (name: string, alertname: string, param: string, verify: string) => `
name: ${name}
match: ['alertname = "${alertname}"']
target: app
${POLICY}
params:
  ${param}: { from: '{{labels.${param}}}', ${ANY} }
steps:
  - name: gentle
    http: { path: /gentle }
    verify: ${verify}
  - name: stronger
    http: { path: /stronger }
`;

// Verify windows of 2 s: long enough for a real Prometheus on a loaded machine to answer a poll (these
// checks must fail for the right reason, "0 series", not because nothing answered in time).
const runbooks = {
  'probe.yaml': ladder(
    'probe',
    'Probe',
    'page',
    `{ http: { path: '/status/{{params.page}}', expect: 200 }, within: 2s }`,
  ),
  'promql.yaml': ladder(
    'promql',
    'Query',
    'service',
    `{ promql: 'up{service="{{params.service}}"} == bool 1', expect: 'true', within: 2s }`,
  ),
  'promql-single.yaml': ladder(
    'promql-single',
    'QuerySingle',
    'service',
    `{ promql: "up{service='{{params.service}}'} == bool 1", expect: 'true', within: 2s }`,
  ),
};

beforeAll(async () => {
  [prometheus, app] = await Promise.all([startPrometheus(), startRoutedHttp()]);
  svc = await startTestService({
    runbooks,
    inventory: `targets:\n  app: { http: { baseUrl: "${app.baseUrl}", headers: { authorization: "Bearer admin-secret" } } }\n`,
    env: { REMEDIATOR_PROMETHEUS_URL: prometheus.url },
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([prometheus?.stop(), app?.stop()]);
});

beforeEach(() => {
  app.reset();
  app.route('POST', '/gentle', { status: 200 });
  app.route('POST', '/stronger', { status: 200 });
  // The admin path a forged probe would reach: it answers 200, which would pass the check.
  app.route('GET', '/admin/delete', { status: 200, body: 'deleted' });
});

async function fire(runbook: string, labels: Record<string, string>): Promise<RunRecord> {
  const fp = randomBytes(8).toString('hex');
  const body = payload([{ labels, fingerprint: fp }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  return svc.waitForRun(runId(runbook, fp, body.alerts[0]!.startsAt));
}

describe('verify http: a label cannot move the probe', () => {
  it.each(['../admin/delete?confirm=yes', '%2e%2e/admin/delete', '..%2fadmin/delete'])(
    '%j stays one segment under /status/, and the check fails',
    async (page) => {
      const run = await fire('probe', { alertname: 'Probe', page });
      const probes = app.requests.filter((r) => r.method === 'GET').map((r) => r.url);
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.every((url) => url === `/status/${encodeURIComponent(page)}`)).toBe(true);
      expect(run.steps[0]!.verify).toMatchObject({ kind: 'http', ok: false });
      expect(run.steps.map((s) => [s.name, s.status])).toEqual([
        ['gentle', 'succeeded'],
        ['stronger', 'succeeded'],
      ]);
    },
  );

  it.each(['..', '.'])('%j, a dot segment, fails the run before any step', async (page) => {
    const run = await fire('probe', { alertname: 'Probe', page });
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(run.message).toBe(`step "gentle": verify: path "/status/${page}" holds a "." or ".." segment`);
    expect(app.requests).toEqual([]);
  });
});

describe('verify promql: a label cannot forge a passing query (real Prometheus)', () => {
  it.each([
    ['promql', 'Query', 'x"} or vector(1) or up{service="y'],
    ['promql-single', 'QuerySingle', "x'} or vector(1) or up{service='y"],
    ['promql', 'Query', 'x\\"} or vector(1) or up{service=\\"y'],
    ['promql', 'Query', 'x"}\nor vector(1) #'],
  ])(
    '%s (%s): %j selects no series, so the check fails and the stronger step runs',
    async (runbook, alertname, service) => {
      const run = await fire(runbook, { alertname, service });
      expect(run.steps[0]!.verify).toMatchObject({ kind: 'promql', ok: false });
      expect(run.steps[0]!.verify!.detail).toMatch(
        /^query returned 0 series, expected 1|^Prometheus answered 400/,
      );
      expect(run.steps[1]).toMatchObject({ name: 'stronger', status: 'succeeded' });
    },
  );

  it('the hostile value reaches Prometheus as the exact text of one label value', async () => {
    const hostile = 'x"} or vector(1) or up{service="y\\\'`\n$(id)';
    const text = `name: rb\nmatch: ['alertname = "A"']\ntarget: app\nparams:\n  v: { from: '{{labels.v}}', ${ANY} }\nsteps:\n  - name: s\n    http: { path: /x }\n    verify: { promql: 'label_replace(vector(1), "got", "{{params.v}}", "", "")' }\n`;
    const rb = parseRunbook('rb.yaml', text).runbook!;
    const alert: Alert = {
      status: 'firing',
      labels: { alertname: 'A', v: hostile },
      annotations: {},
      startsAt: '2026-11-21T07:18:09.123Z',
      endsAt: '',
      generatorURL: '',
      fingerprint: 'abc',
    };
    const spec = renderVerify(rb.steps[0]!.verify!, runContext(rb, alert, 'app'), 's');
    expect(spec.kind).toBe('promql');
    const query = (spec as { query: string }).query;
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
    expect(body.data.result.map((r) => r.metric['got'])).toEqual([hostile]);
  });
});
