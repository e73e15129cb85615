/**
 * `remediator backtest` against a real Prometheus serving a known ALERTS history (built with promtool,
 * see test/harness/alert-history.ts): exact counts per runbook and reason, the picture, an empty range,
 * the live Redis never touched, and the same gate behind `remediator test` for the first occurrences.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory, type Occurrence } from '../../src/backtest/history.ts';
import type { BacktestReport } from '../../src/backtest/report.ts';
import { replay } from '../../src/backtest/replay.ts';
import { backtestCommand } from '../../src/cli/backtest.ts';
import { dryRun } from '../../src/cli/dry-run.ts';
import { loadRunbooks } from '../../src/config/runbooks.ts';
import { readSettings } from '../../src/config/settings.ts';
import { createMemoryPolicyStores } from '../../src/stores/memory-policy-stores.ts';
import { payload } from '../harness/payloads.ts';
import { scenario, toOpenMetrics } from '../harness/alert-history.ts';
import { childEnv } from '../harness/child-env.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNBOOKS = join(ROOT, 'test/fixtures/backtest/runbooks');
const HOUR = 3_600_000;
// Three days back, on a whole hour: well inside Prometheus' default retention (15 d).
const H = Math.floor((Date.now() - 72 * HOUR) / HOUR) * HOUR;
const FROM = new Date(H).toISOString();
const TO = new Date(H + 24 * HOUR).toISOString();

let prometheus: TestPrometheus;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-backtest-'));
  prometheus = await startPrometheus({ openMetrics: toOpenMetrics(scenario(H)) });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function backtest(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await backtestCommand(['--prometheus', prometheus.url, '--runbooks', RUNBOOKS, ...args], {
    env: {},
    fetch,
    now: Date.now,
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  return { code, out, err };
}

async function report(...args: string[]): Promise<BacktestReport> {
  const { code, out, err } = await backtest('--from', FROM, '--to', TO, '--json', ...args);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return JSON.parse(out) as BacktestReport;
}

/** The counts that do not depend on which of several waiting runs got a place first. */
function counts(r: BacktestReport) {
  return Object.fromEntries(
    [...r.runbooks, r.totals].map((t) => [
      t.runbook,
      {
        matched: t.matched,
        started: t.started,
        succeeded: t.succeeded,
        failed: t.failed,
        stopped: t.stopped,
        waited: t.waited,
        peak: t.peakActing,
        circuit: t.circuitOpenings,
        asks: t.wouldAsk,
        pages: t.pagesSent,
        held: t.pagesHeld,
        avoided: t.pagesAvoided,
        targets: Object.values(t.targets).reduce((a, b) => a + b, 0),
      },
    ]),
  );
}

describe('remediator backtest', () => {
  it('replays the history with exact counts per runbook and reason (read in 6 h chunks)', async () => {
    const r = await report('--chunk', '6h');
    // 1 Watchdog + 6 flaps + 200 storm + 1 blip + 20 caches + 1 disk: the Watchdog and the disk alert
    // span chunk boundaries and stay one occurrence each.
    expect(r.occurrences).toBe(229);
    const none = { waited: {}, peak: 1, circuit: 0, asks: 0, held: 0, avoided: 0 };
    expect(counts(r)).toEqual({
      // Resolves by itself 30 s after firing: within the verify window, so counted a success.
      'blip-fix': {
        ...none,
        matched: 1,
        started: 1,
        succeeded: 1,
        failed: 0,
        stopped: {},
        asks: 1,
        pages: 0,
        targets: 1,
      },
      // 5 in flight at once fail (the alert outlives the steps); 3 more fit the runbook's 8 per hour.
      'cache-flush': {
        ...none,
        matched: 20,
        started: 8,
        succeeded: 0,
        failed: 8,
        stopped: { rate_limited: 12 },
        waited: { blast_radius: 15 },
        peak: 5,
        pages: 20,
        targets: 8,
      },
      'disk-cleanup': {
        ...none,
        matched: 1,
        started: 1,
        succeeded: 0,
        failed: 1,
        stopped: {},
        pages: 1,
        targets: 1,
      },
      // Each flap ends within the verify window; the 10 m cooldown refuses every other one.
      'flap-restart': {
        ...none,
        matched: 6,
        started: 3,
        succeeded: 3,
        failed: 0,
        stopped: { cooldown: 3 },
        pages: 3,
        targets: 3,
      },
      // 200 within a minute: the storm guard (default 100 per 1m) refuses the second hundred at once and
      // pages once for them. Of the first hundred, one web instance at a time (group by service); the
      // third failure opens the circuit for the rest.
      'storm-restart': {
        ...none,
        matched: 200,
        started: 3,
        succeeded: 0,
        failed: 3,
        stopped: { storm: 100, circuit_open: 97 },
        waited: { group_busy: 99 },
        circuit: 1,
        pages: 101,
        targets: 3,
      },
      '(all)': {
        matched: 228,
        started: 16,
        succeeded: 4,
        failed: 12,
        stopped: { cooldown: 3, storm: 100, circuit_open: 97, rate_limited: 12 },
        waited: { blast_radius: 15, group_busy: 99 },
        peak: 5,
        circuit: 1,
        asks: 1,
        pages: 125,
        held: 0,
        avoided: 0,
        targets: 16,
      },
    });
    expect(r.runbooks.find((t) => t.runbook === 'flap-restart')?.targets).toEqual({ 'db-1:9100': 3 });
    expect(r.busiestHour).toEqual({ start: H + 8 * HOUR, started: 8 });
    expect(r.outcomeModel.name).toBe('history');
  }, 60_000);

  it('bounds the answer with --outcome always-succeed and always-fail', async () => {
    const started = (r: BacktestReport) =>
      Object.fromEntries(r.runbooks.map((t) => [t.runbook, [t.started, t.succeeded, t.stopped]]));
    expect(started(await report('--outcome', 'always-succeed'))).toEqual({
      'blip-fix': [1, 1, {}],
      'cache-flush': [8, 8, { rate_limited: 12 }],
      'disk-cleanup': [1, 1, {}],
      'flap-restart': [3, 3, { cooldown: 3 }],
      // The storm guard refuses the second hundred; of the first, runs of 2 s one after another: the
      // runbook's 10 per hour stops the rest.
      'storm-restart': [10, 10, { storm: 100, rate_limited: 90 }],
    });
    expect(started(await report('--outcome', 'always-fail'))).toEqual({
      // Fails at the end of its 2 m verify window; the alert had resolved by then.
      'blip-fix': [1, 0, {}],
      'cache-flush': [8, 0, { rate_limited: 12 }],
      'disk-cleanup': [1, 0, {}],
      'flap-restart': [3, 0, { cooldown: 3 }],
      'storm-restart': [3, 0, { storm: 100, circuit_open: 97 }],
    });
  }, 60_000);

  it('prints the table and never connects to Redis, even with REDIS_URL set (the real CLI)', async () => {
    const connections: string[] = [];
    const spy: Server = createServer((socket) => {
      connections.push(String(socket.remoteAddress));
      socket.destroy();
    });
    await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
    const port = (spy.address() as { port: number }).port;
    try {
      const { code, stdout, stderr } = await new Promise<{
        code: number | null;
        stdout: string;
        stderr: string;
      }>((resolve) =>
        execFile(
          process.execPath,
          [
            'bin/remediator.js',
            'backtest',
            '--prometheus',
            prometheus.url,
            '--from',
            FROM,
            '--to',
            TO,
            '--runbooks',
            RUNBOOKS,
          ],
          {
            cwd: ROOT,
            env: childEnv({ HOME: dir, REDIS_URL: `redis://127.0.0.1:${port}` }),
            timeout: 60_000,
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^storm-restart +200 +3 +0 +3 +197 +1 +1 +0 +101 +0 +0$/m);
      expect(stdout).toContain('  stopped by reason: storm 100, circuit_open 97');
      expect(stdout).toContain('storm-restart: its circuit breaker opened 1 time(s)');
      expect(connections).toEqual([]);
    } finally {
      await new Promise((resolve) => spy.close(resolve));
    }
  }, 60_000);

  it('writes a self-contained HTML page with the timeline', async () => {
    const file = join(dir, 'report.html');
    const { code } = await backtest('--from', FROM, '--to', TO, '--html', file);
    expect(code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    for (const name of ['blip-fix', 'cache-flush', 'disk-cleanup', 'flap-restart', 'storm-restart'])
      expect(html).toContain(`>${name}</text>`);
    for (const reason of ['circuit_open', 'cooldown', 'rate_limited'])
      expect(html).toContain(`stopped: ${reason}</span>`);
    expect(html).toContain('3 started · 197 stopped · breaker opened 1x');
    // No external assets: nothing to load, no script.
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|url\(/i);
  }, 60_000);

  it('says clearly that a range without data has nothing to replay, and exits 1', async () => {
    const from = new Date(H - 10 * 24 * HOUR).toISOString();
    const to = new Date(H - 9 * 24 * HOUR).toISOString();
    const { code, out, err } = await backtest('--from', from, '--to', to);
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toBe(
      `remediator backtest: no firing alert in ALERTS{alertstate="firing"} at ${prometheus.url} between ${from} and ${to}: ` +
        'nothing to replay (check the URL, the range, and that Prometheus still keeps that time)',
    );
  }, 60_000);

  it('reads each occurrence with the start, end and fingerprint the history implies', async () => {
    const occurrences: Occurrence[] = await readHistory(
      { fetch },
      { url: prometheus.url, from: H, to: H + 24 * HOUR, stepMs: 60_000, chunkMs: 24 * HOUR },
    );
    const flaps = occurrences.filter((o) => o.labels['alertname'] === 'Flapping');
    expect(flaps.map((o) => [(o.startsAt - H) / 60_000, (o.endsAt! - H) / 60_000])).toEqual([
      [10, 12],
      [18, 20],
      [26, 28],
      [34, 36],
      [42, 44],
      [50, 52],
    ]);
    const disk = occurrences.find((o) => o.labels['alertname'] === 'DiskFull');
    expect(disk).toEqual({
      labels: { alertname: 'DiskFull', instance: 'db-2:9100' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      startsAt: H + 20 * HOUR,
    });
  }, 60_000);

  it('decides the first occurrence of each runbook as `remediator test` does (one gate, two front ends)', async () => {
    const occurrences = await readHistory(
      { fetch },
      { url: prometheus.url, from: H, to: H + 24 * HOUR, stepMs: 60_000, chunkMs: 24 * HOUR },
    );
    const settings = readSettings({
      REMEDIATOR_RUNBOOKS_DIR: RUNBOOKS,
      REMEDIATOR_INVENTORY: join(ROOT, 'inventory.yaml'),
    });
    const firstGate = new Map<string, { runId: string; decisions: Array<[string, string]> }>();
    await replay(occurrences, {
      runbooks: await loadRunbooks([RUNBOOKS]),
      settings,
      outcome: 'history',
      from: H,
      to: H + 24 * HOUR,
      observe: (run, result) => {
        if (!firstGate.has(run.runbook))
          firstGate.set(run.runbook, {
            runId: run.id,
            decisions: result.decisions.map((d) => [d.stage, d.decision]),
          });
      },
    });
    expect([...firstGate.keys()].sort()).toEqual([
      'blip-fix',
      'cache-flush',
      'disk-cleanup',
      'flap-restart',
      'storm-restart',
    ]);
    for (const [runbook, seen] of firstGate) {
      const first = occurrences.find((o) => planned(o, runbook));
      const file = join(dir, `${runbook}.json`);
      const alert = {
        labels: first!.labels,
        startsAt: new Date(first!.startsAt).toISOString(),
        fingerprint: first!.fingerprint,
      };
      await writeFile(file, JSON.stringify(payload([alert])));
      const fresh = { stores: createMemoryPolicyStores(Date.now), settings, source: 'fresh' };
      const dry = await dryRun(file, settings, {}, fresh);
      const match = dry.alerts[0]!.matches.find((m) => m.runbook === runbook)!;
      // The same run id: the fingerprint read from Prometheus is the one Alertmanager would send.
      expect(match.runId).toBe(seen.runId);
      const inspected = new Map((match.policy ?? []).map((p) => [p.stage, p.decision]));
      expect(seen.decisions.length).toBeGreaterThan(4);
      for (const [stage, decision] of seen.decisions)
        expect([runbook, stage, inspected.get(stage)]).toEqual([runbook, stage, decision]);
    }
  }, 60_000);
});

function planned(o: Occurrence, runbook: string): boolean {
  const names: Record<string, string> = {
    'blip-fix': 'QuickBlip',
    'cache-flush': 'CacheStale',
    'disk-cleanup': 'DiskFull',
    'flap-restart': 'Flapping',
    'storm-restart': 'InstanceDown',
  };
  return o.labels['alertname'] === names[runbook];
}
