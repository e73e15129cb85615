/**
 * `npm run panels`: pictures of the main panels of grafana/dashboards/remediation-overview.json from
 * real data. Starts `npm run demo -- --random-ports`, injects the four faults it suggests (memory leak,
 * error spike, CPU burn, pool exhaustion, each on its own instance), waits for remediator's runs for
 * them to end, then runs each panel's PromQL through Prometheus' /api/v1/query_range over the demo's
 * lifetime and writes docs/panels/<slug>.svg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart, type Series } from './svg-chart.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const OUT = join(ROOT, 'docs/panels');
const STEP = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (text: string) => process.stdout.write(`panels: ${text}\n`);

/** Panel titles as in the dashboard JSON. */
const PANELS = [
  'Runs by result',
  'Steps by action and result',
  'Queue depth and runs in flight',
  'Time to recovery p50 / p95',
  'Circuit state per runbook',
  'Target states',
];

/** Grafana's named colours used by the dashboard's value mappings. */
const COLOURS: Record<string, string> = {
  green: '#73BF69',
  orange: '#FF9830',
  red: '#F2495C',
  yellow: '#FADE2A',
  blue: '#5794F2',
  'light-blue': '#8AB8FF',
};

interface Ready {
  urls: Record<'remediator' | 'prometheus', string>;
  /** The faults the demo suggests (demo/stack/faults.ts), placed on its instances. */
  faults: Fault[];
}

interface Fault {
  fault: string;
  /** The instance's name, e.g. app-1:8081. */
  name: string;
  url: string;
  alert: string;
}

interface Run {
  status: string;
  alert: { labels: Record<string, string> };
}

interface Panel {
  title: string;
  type: string;
  fieldConfig?: {
    defaults?: {
      unit?: string;
      mappings?: Array<{ options: Record<string, { text: string; color: string }> }>;
    };
  };
  targets?: Array<{ expr: string; legendFormat?: string }>;
}

interface Matrix {
  status: string;
  error?: string;
  data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

function startDemo(): { child: ChildProcess; ready: Promise<Ready> } {
  const child = spawn(process.execPath, ['demo/run.ts', '--random-ports'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not ready within 60 s:\n${output}`)), 60_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const line = output.split('\n').find((row) => row.startsWith('DEMO_READY '));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('DEMO_READY '.length)) as Ready);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('exit', (code) =>
      reject(new Error(`demo exited (code ${code}) before it was ready:\n${output}`)),
    );
  });
  return { child, ready };
}

async function stopDemo(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
}

const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const legend = (format: string | undefined, metric: Record<string, string>) =>
  (format ?? JSON.stringify(metric))
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => metric[name] ?? '')
    .trim() || 'value';

async function queryRange(prometheus: string, expr: string, start: number, end: number): Promise<Matrix> {
  const query = expr
    .replace(/\$__rate_interval|\$__interval/g, '30s')
    .replace(/\$__range/g, `${end - start}s`);
  const params = new URLSearchParams({ query, start: String(start), end: String(end), step: String(STEP) });
  const body = (await (await fetch(`${prometheus}/api/v1/query_range?${params}`)).json()) as Matrix;
  if (body.status !== 'success') throw new Error(`query_range ${query}: ${body.error ?? body.status}`);
  return body;
}

async function waitForRuns(remediator: string, faults: readonly Fault[], timeoutMs: number): Promise<Run[]> {
  const deadline = Date.now() + timeoutMs;
  let ended: Run[] = [];
  while (Date.now() < deadline) {
    const { runs } = (await (await fetch(`${remediator}/api/v1/runs`)).json()) as { runs: Run[] };
    ended = faults.flatMap(({ name, alert }) =>
      runs.filter(
        (run) =>
          run.alert.labels.instance === name &&
          run.alert.labels.alertname === alert &&
          !['queued', 'running'].includes(run.status),
      ),
    );
    const done = faults.every(({ name }) => ended.some((run) => run.alert.labels.instance === name));
    if (done) return ended;
    await sleep(1000);
  }
  say(`not every fault had an ended run within ${timeoutMs / 1000} s; rendering what there is`);
  return ended;
}

async function main(): Promise<void> {
  const dashboard = JSON.parse(
    await readFile(join(ROOT, 'grafana/dashboards/remediation-overview.json'), 'utf8'),
  ) as { panels: Panel[] };
  const { child, ready: readyPromise } = startDemo();
  // The demo's own exit handler stops its children; make sure it gets SIGTERM whatever happens here.
  process.once('exit', () => child.kill('SIGTERM'));
  try {
    const ready = await readyPromise;
    const start = Math.floor(Date.now() / 1000) - 2;
    say(`demo ready; prometheus ${ready.urls.prometheus}, remediator ${ready.urls.remediator}`);
    await sleep(5000);
    for (const { name, url, fault } of ready.faults) {
      const res = await fetch(`${url}/fault/${fault}`, { method: 'POST' });
      say(`POST ${fault} on ${name}: ${res.status}`);
    }
    const runs = await waitForRuns(ready.urls.remediator, ready.faults, 120_000);
    for (const run of runs)
      say(`run ${run.alert.labels.alertname} ${run.alert.labels.instance}: ${run.status}`);
    // Long enough for the 30 s windows to slide past the runs and the targets to settle again.
    say('waiting 30 s for the last scrapes');
    await sleep(30_000);
    const end = Math.ceil(Date.now() / 1000);

    await mkdir(OUT, { recursive: true });
    for (const title of PANELS) {
      const panel = dashboard.panels.find((item) => item.title === title);
      if (!panel) throw new Error(`no panel "${title}" in the dashboard`);
      const series: Series[] = [];
      for (const target of panel.targets ?? []) {
        const { data } = await queryRange(ready.urls.prometheus, target.expr, start, end);
        for (const { metric, values } of data.result) {
          series.push({
            name: legend(target.legendFormat, metric),
            points: values.map(([t, v]) => [t, Number(v)] as const),
          });
        }
      }
      series.sort((a, b) => a.name.localeCompare(b.name));
      const mappings = panel.fieldConfig?.defaults?.mappings?.[0]?.options;
      const states =
        panel.type === 'state-timeline' && mappings
          ? new Map(
              Object.entries(mappings).map(
                ([value, { text, color }]) =>
                  [Number(value), [text, COLOURS[color] ?? color] as const] as const,
              ),
            )
          : undefined;
      const unit = panel.fieldConfig?.defaults?.unit;
      const svg = renderChart({
        title,
        series,
        start,
        end,
        step: STEP,
        unit: unit === 's' || unit === 'percentunit' ? unit : 'short',
        states,
      });
      const file = join(OUT, `${slug(title)}.svg`);
      await writeFile(file, svg);
      const points = series.reduce((sum, s) => sum + s.points.length, 0);
      say(`${file.slice(ROOT.length)}: ${series.length} series, ${points} points`);
    }
  } finally {
    say('stopping the demo');
    await stopDemo(child);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`panels: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
