// Runs in its own process with --expose-gc, so heap figures are about the runbooks only.
// Matching one alert against 10 / 1,000 / 10,000 runbooks, through the real loader and index.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { parse as parseYaml } from 'yaml';
import { loadRunbooks } from '../src/config/runbooks.ts';
import { buildRunbookIndex } from '../src/match/select.ts';
import type { Alert, Runbook } from '../src/types.ts';
import { serveIpc } from './lib/child.ts';

export interface MatchingResult {
  readonly size: number;
  /** Mean µs per `select()` call: an alert some runbooks act on, and one no runbook selects. */
  readonly hitUs: number;
  readonly missUs: number;
  readonly hitP99Us: number;
  readonly missP99Us: number;
  /** The same, scanning every runbook's every matcher (the baseline). */
  readonly linearHitUs: number;
  readonly linearMissUs: number;
  readonly matchedHit: number;
  /** Heap held by the loaded runbooks and their index, and by the same files as plain parsed YAML. */
  readonly heapBytes: number;
  readonly plainHeapBytes: number;
  readonly loadMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * The matchers of runbook `i`, a mix seen in real runbook directories: most name their alert
 * (`alertname="…"`, two runbooks per alert name) and add equality and regex matchers; every fifth
 * names a list of alerts; 2 in 50 name no single alert (a regex on alertname, or only team/severity),
 * so every alert has to be checked against those.
 */
export function matchersOf(i: number): string[] {
  if (i % 50 === 0) return [`team = "team-${i}"`, 'severity = "page"'];
  if (i % 50 === 25) return ['alertname =~ "Kube.*Down"', `namespace = "ns-${i}"`];
  const own = `Alert${Math.floor(i / 2)}`;
  if (i % 5 === 1) return [`alertname =~ "${own}|Alert${Math.floor(i / 2) + 7}"`, `team = "team-${i % 20}"`];
  const m = [
    `alertname = "${own}"`,
    i % 2 === 0 ? 'severity = "critical"' : 'severity =~ "critical|warning"',
  ];
  if (i % 3 === 0) m.push('service =~ "svc-(a|b)-.*"');
  if (i % 4 === 0) m.push('env != "staging"');
  if (i % 7 === 0) m.push('instance =~ "app-[0-9]+:8081"');
  return m;
}

function runbookYaml(i: number): string {
  const match = matchersOf(i)
    .map((m) => `  - '${m}'\n`)
    .join('');
  return (
    `name: rb-${i}\nmatch:\n${match}target: '{{labels.instance}}'\n` +
    `params:\n  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }\n` +
    `steps:\n  - name: act\n    http: { method: POST, path: '/act/{{params.service}}', expect: 200 }\n`
  );
}

/** The alert name of a runbook from the middle of the list that names one alert (its other matchers hold for LABELS). */
function hitAlertname(size: number): string {
  for (let i = Math.floor(size / 2); ; i++) {
    const name = /^alertname = "(\w+)"$/.exec(matchersOf(i)[0]!)?.[1];
    if (name !== undefined) return name;
  }
}

const LABELS = {
  severity: 'critical',
  service: 'svc-a-api',
  env: 'prod',
  instance: 'app-3:8081',
  team: 'team-3',
  namespace: 'shop',
  job: 'node',
};

function alert(alertname: string): Alert {
  return {
    status: 'firing',
    labels: { alertname, ...LABELS },
    annotations: { summary: 'bench' },
    startsAt: '2026-11-21T07:18:09.123Z',
    endsAt: '',
    generatorURL: '',
    fingerprint: 'f00d',
  };
}

const linear = (runbooks: readonly Runbook[], a: Alert) =>
  runbooks.filter((r) => r.on === a.status && r.match.every((m) => m.matches(a.labels)));

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function measure(size: number): Promise<MatchingResult> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-bench-match-'));
  try {
    for (let i = 0; i < size; i++) await writeFile(join(dir, `rb-${i}.yaml`), runbookYaml(i));
    // Something in the loader keeps the previous load's runbooks alive until the next load: load one
    // small file first, so that the heap delta below is this load's alone.
    await loadRunbooks([join(dir, 'rb-1.yaml')]);
    const h0 = heapAfterGc();
    const t0 = performance.now();
    const runbooks = await loadRunbooks([dir]);
    const index = buildRunbookIndex(runbooks);
    const loadMs = performance.now() - t0;
    const heapBytes = heapAfterGc() - h0;
    const texts = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    const p0 = heapAfterGc();
    const plain: unknown[] = texts.map((t) => parseYaml(t));
    const plainHeapBytes = heapAfterGc() - p0;
    const hit = alert(hitAlertname(size));
    const miss = alert('NoRunbookForThisAlert');
    const matchedHit = index.select(hit).length;
    if (matchedHit === 0 || index.select(miss).length !== 0)
      throw new Error(`bench alerts do not match as meant (${size})`);
    const bench = new Bench({ time: 300, warmupTime: 100 });
    bench
      .add('hit', () => index.select(hit))
      .add('miss', () => index.select(miss))
      .add('linear hit', () => linear(runbooks, hit))
      .add('linear miss', () => linear(runbooks, miss));
    await bench.run();
    const stat = (name: string, p: 'mean' | 'p99') => {
      const r = bench.getTask(name)?.result;
      if (r?.state !== 'completed') throw new Error(`task ${name}: ${r?.state}`);
      return r.latency[p] * 1000;
    };
    if (plain.length !== size) throw new Error('plain parse lost files');
    return {
      size,
      hitUs: stat('hit', 'mean'),
      missUs: stat('miss', 'mean'),
      hitP99Us: stat('hit', 'p99'),
      missP99Us: stat('miss', 'p99'),
      linearHitUs: stat('linear hit', 'mean'),
      linearMissUs: stat('linear miss', 'mean'),
      matchedHit,
      heapBytes,
      plainHeapBytes,
      loadMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.send) {
  // One small load first, so that the modules' lazy set-up (schema, template and regex compilers) does not
  // count as the first size's heap.
  await measure(10);
  serveIpc('ready', { measure: (size) => measure(size as number) }, async () => {});
}
