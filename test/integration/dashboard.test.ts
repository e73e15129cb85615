import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startDaemon, type Daemon } from '../harness/daemon.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * The shipped Grafana dashboard against a real remediator scraped by a real Prometheus: every panel
 * query must be valid PromQL, name only metrics remediator exports, and the main panels must show data.
 */

interface PanelTarget {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: PanelTarget[];
}
interface Dashboard {
  title: string;
  schemaVersion: number;
  panels: Panel[];
}
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

const DASHBOARD_FILE = new URL('../../grafana/dashboards/remediation-overview.json', import.meta.url);
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

/** Grafana's built-in variables, as Grafana would fill them in for a short time range. */
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: '30s',
  __interval: '15s',
  __range: '5m',
};

/** PromQL functions, aggregations and keywords: every other identifier in an expression is a metric. */
const PROMQL_WORDS = new Set(
  [
    // aggregations and their modifiers
    'sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio',
    'by without on ignoring group_left group_right bool offset and or unless atan2',
    // functions (Prometheus 2.x)
    'abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month day_of_week',
    'day_of_year days_in_month delta deriv exp floor histogram_count histogram_sum histogram_fraction',
    'histogram_quantile histogram_avg histogram_stddev histogram_stdvar holt_winters double_exponential_smoothing',
    'hour idelta increase irate label_join label_replace ln log2 log10 minute month predict_linear',
    'rate resets round scalar sgn sort sort_desc sort_by_label sort_by_label_desc sqrt time timestamp vector year',
    'avg_over_time min_over_time max_over_time sum_over_time count_over_time quantile_over_time',
    'stddev_over_time stdvar_over_time last_over_time present_over_time mad_over_time',
    'acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh deg pi rad',
    'inf nan',
  ]
    .join(' ')
    .split(' '),
);

function fillVariables(expr: string): string {
  return expr.replace(/\$\{?(__[a-z_]+)\}?/g, (whole, name: string) => GRAFANA_VARIABLES[name] ?? whole);
}

/**
 * The metric names an expression reads. Strings, label matchers (`{...}`), ranges (`[...]`) and the
 * label lists of by/without/on/ignoring/group_* are removed first; what remains are identifiers that
 * are either PromQL words or metric names. An identifier called like a function must be a known one.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, word, call] = match as unknown as [string, string, string | undefined];
    if (call && !PROMQL_WORDS.has(word)) throw new Error(`unknown PromQL function "${word}" in: ${expr}`);
    if (!PROMQL_WORDS.has(word)) names.add(word);
  }
  return [...names];
}

/** Metric families in a Prometheus text exposition, with the series names histograms and summaries add. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name! + s);
  }
  return names;
}

const SUCCEEDS = `
name: resize-pool
match: ['alertname = "ConnectionPoolExhausted"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: grow-pool
    http: { method: POST, path: /admin/pool/main, expect: [200], timeout: 2s }
`;
// The second step expects a status the target never answers: its runs end failed (E_STATUS).
const FAILS = `
name: flush-cache
match: ['alertname = "CacheStale"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: flush
    http: { method: POST, path: /admin/cache/flush, expect: [200], timeout: 2s }
  - name: check
    http: { method: GET, path: /admin/cache, expect: [418], timeout: 2s }
`;
// Waits for a human: the test approves it through the API.
const RISKY = `
name: risky
match: ['alertname = "PrimaryDown"']
target: "{{labels.instance}}"
approval: { always: true }
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: failover
    http: { method: POST, path: /admin/failover, expect: [200], timeout: 2s }
`;

let target: HttpTarget;
let svc: TestService;
let prometheus: Daemon | undefined;

async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] | [number, string] };
  };
  if (body.status !== 'success') throw new Error(`${body.error ?? res.status}: ${promql}`);
  const { resultType, result } = body.data!;
  if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
  return result as Sample[];
}

/** Polls a query until check() accepts its result (bounded). */
async function until(promql: string, check: (samples: Sample[]) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await query(promql);
    if (check(samples)) return samples;
    if (Date.now() > deadline)
      throw new Error(
        `no acceptable result within ${timeoutMs} ms for ${promql}: ${JSON.stringify(samples)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function remediate(runbook: string, alertname: string): Promise<string> {
  const startsAt = new Date(Date.now() - 45_000).toISOString(); // the alert fired 45 s ago
  const body = payload([{ labels: { alertname, instance: 'db-app:9000' }, startsAt }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const alert = body.alerts[0]!;
  const id = runId(runbook, alert.fingerprint, alert.startsAt);
  const run = await svc.waitForRun(id);
  if (run.status !== 'awaiting_approval') return run.status;
  const requestId = run.approvals?.at(-1)?.id;
  const auth = { authorization: `Bearer ${svc.operatorToken}` };
  expect((await svc.post(`/api/v1/runs/${id}/approve`, { by: 'test', requestId }, auth)).status).toBe(200);
  return (await svc.waitForRun(id)).status;
}

const panelTargets = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((t) => ({ panel, target: t, expr: fillVariables(t.expr) })),
);
const panelQuery = (title: string, refId = 'A') => {
  const found = panelTargets.find((p) => p.panel.title === title && p.target.refId === refId);
  if (!found) throw new Error(`no panel "${title}" (${refId}) in the dashboard`);
  return found.expr;
};

beforeAll(async () => {
  target = await startHttpTarget();
  target.respond(200, '{"ok":true}');
  svc = await startTestService({
    runbooks: { 'pool.yaml': SUCCEEDS, 'cache.yaml': FAILS, 'risky.yaml': RISKY },
    inventory: `targets:\n  db-app:9000:\n    http: { baseUrl: "${target.baseUrl}" }\n`,
  });
  const { host } = new URL(svc.url);
  prometheus = await startDaemon({
    name: 'prometheus',
    binaries: ['/usr/bin/prometheus', '/usr/local/bin/prometheus', '/bin/prometheus'],
    debianPackage: 'prometheus',
    files: {
      'prometheus.yml': [
        'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: remediator',
        `    static_configs: [{ targets: ['${host}'] }]`,
        '',
      ].join('\n'),
    },
    args: (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
  });
  // Scraped before the runs, so their counters rise inside the scraped window (increase() sees it).
  await until('up{job="remediator"} == 1', (s) => s.length === 1);
  await until('count_over_time(remediator_runbooks_loaded[1m])', (s) => Number(s[0]?.value[1]) >= 2);
  for (let i = 0; i < 3; i++)
    expect(await remediate('resize-pool', 'ConnectionPoolExhausted')).toBe('succeeded');
  for (let i = 0; i < 2; i++) expect(await remediate('flush-cache', 'CacheStale')).toBe('failed');
  expect(await remediate('risky', 'PrimaryDown')).toBe('succeeded');
  // A few scrapes after the last run, so rates and increases cover all of them.
  await until('sum(remediator_runs_total)', (s) => Number(s[0]?.value[1]) === 6);
  await new Promise((resolve) => setTimeout(resolve, 2500));
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await svc?.stop();
  await target?.stop();
});

describe('grafana/dashboards/remediation-overview.json', () => {
  it('is a Grafana dashboard on the provisioned Prometheus datasource', () => {
    expect(dashboard).toMatchObject({ title: 'Remediation overview', schemaVersion: 39 });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    for (const { expr } of panelTargets) expect(expr).not.toContain('$');
  });

  it('finds metric names in PromQL, and only those', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, action) (rate(x_seconds_bucket{a="rate(b)"}[5m]))) / on (job) group_left y or vector(0)',
      ),
    ).toEqual(['x_seconds_bucket', 'y']);
    expect(() => metricNames('rat(x[1m])')).toThrow('unknown PromQL function "rat"');
  });

  it('names only metrics that remediator exports', async () => {
    const exported = exportedNames(await (await svc.get('/metrics')).text());
    const used = new Set(panelTargets.flatMap(({ expr }) => metricNames(expr)));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it.each(panelTargets.map((p) => [`${p.panel.title} (${p.target.refId})`, p.expr]))(
    'panel %s is a query Prometheus accepts',
    async (_title, expr) => {
      await expect(query(expr)).resolves.toBeInstanceOf(Array);
    },
  );

  it('shows runs by result, steps by action and the queue', async () => {
    const runs = await query(panelQuery('Runs by result'));
    const byResult = Object.fromEntries(runs.map((s) => [s.metric['result'], Number(s.value[1])]));
    expect(byResult['succeeded']).toBeGreaterThan(0);
    expect(byResult['failed']).toBeGreaterThan(0);

    const steps = await query(panelQuery('Steps by action and result'));
    const http = steps.filter((s) => s.metric['action'] === 'http');
    expect(http.map((s) => s.metric['result']).sort()).toEqual(['failed', 'succeeded']);
    expect(http.every((s) => Number(s.value[1]) > 0)).toBe(true);

    const queue = await query(panelQuery('Queue depth and runs in flight'));
    expect(queue.map((s) => s.metric['state']).sort()).toEqual(['active', 'delayed', 'failed', 'waiting']);
  });

  it('shows success rate, time to recovery, circuits, target states and escalations', async () => {
    const rate = await query(panelQuery('Success rate per runbook'));
    const byRunbook = Object.fromEntries(rate.map((s) => [s.metric['runbook'], Number(s.value[1])]));
    expect(byRunbook).toEqual({ 'resize-pool': 1, 'flush-cache': 0, risky: 1 });

    // The alerts fired 45 s before their runs ended: p50 lies in the (30, 60] bucket.
    const [p50] = await query(panelQuery('Time to recovery p50 / p95'));
    expect(Number(p50!.value[1])).toBeGreaterThan(30);
    expect(Number(p50!.value[1])).toBeLessThanOrEqual(60);

    const circuits = await query(panelQuery('Circuit state per runbook'));
    expect(circuits.map((s) => s.metric['runbook']).sort()).toEqual(['flush-cache', 'resize-pool', 'risky']);

    const targets = await query(panelQuery('Target states'));
    expect(targets.map((s) => s.metric['target'])).toEqual(['db-app:9000']);

    const escalations = await query(panelQuery('Escalations (24h)'));
    expect(Number(escalations[0]!.value[1])).toBeGreaterThan(0);
  });

  it('shows approvals: one approved, none pending, a time to decision', async () => {
    const outcomes = await until(panelQuery('Approvals'), (s) => s.length > 0);
    const byOutcome = Object.fromEntries(outcomes.map((s) => [s.metric['outcome'], Number(s.value[1])]));
    expect(Object.keys(byOutcome).sort()).toEqual(['approved', 'cancelled', 'denied', 'expired']);
    const [pending] = await query(panelQuery('Approvals pending'));
    expect(Number(pending!.value[1])).toBe(0);
    const [p50] = await query(panelQuery('Time to approval decision p50 / p95'));
    expect(Number(p50!.value[1])).toBeGreaterThan(0);
    expect(Number(p50!.value[1])).toBeLessThanOrEqual(10);
  });
});
