// 1. ingest of actionable alerts, 2. of non-actionable alerts, 3. reaction latency (low load and under
// the load of 1). Load from autocannon in this process, the server under test in its own process.
import type { BenchContext } from './lib/context.ts';
import { cpuText, runLoad, type LoadResult } from './lib/load.ts';
import { scrape, sumMetric } from './lib/metrics.ts';
import { actionableLabels, bodyFactory, nonActionableLabels } from './lib/payloads.ts';
import { Prober, type ReactionResult } from './reaction.ts';
import type { Row } from './table.ts';

const CONNECTIONS = 50;
const ALERTS_PER_NOTIFICATION = 2;
const PROBES_LOW_LOAD = 150;
const PROBE_GAP_MS = 20;
const PROBE_EVERY_MS = 100;
/** How long to wait, after the load, for the steps of the probes sent under load to start. */
const PROBE_WAIT_MS = 20_000;

interface Measured {
  actionable: LoadResult;
  nonActionable: LoadResult;
  lowLoad: ReactionResult;
  underLoad: ReactionResult;
  /** Runs remediator stored during the measured actionable run (its `alerts_matched_total{outcome="queued"}`). */
  runsStored?: number;
}

export async function benchIngest(ctx: BenchContext): Promise<Row[]> {
  const remediator = await measureRemediator(ctx);
  await ctx.flush();
  const parse = await measureParse(ctx);
  const pipeline = await measurePipeline(ctx);
  await ctx.flush();
  return rows(remediator, parse, pipeline);
}

interface Server {
  readonly url: string;
  readonly pid: number;
}

/**
 * A warm-up run, then the measured run, both with fresh bodies. `probes`, when given, sends reaction
 * probes during the measured run; `beforeMeasured` runs between the two.
 */
async function measureLoad(
  ctx: BenchContext,
  server: Server,
  actionable: boolean,
  tag: string,
  probes?: Prober,
  beforeMeasured?: () => Promise<void>,
): Promise<LoadResult> {
  const labels = actionable ? actionableLabels : nonActionableLabels;
  const base = {
    url: server.url,
    headers: { authorization: `Bearer ${ctx.token}` },
    connections: CONNECTIONS,
    watch: { server: server.pid, redis: ctx.redis.pid, target: ctx.target.pid },
  };
  const body = (prefix: string) => bodyFactory(ALERTS_PER_NOTIFICATION, labels, `${prefix}${tag}`);
  await runLoad({ ...base, seconds: ctx.options.warmup, body: body('w') });
  await beforeMeasured?.();
  const stopProbes = probes ? probes.every(PROBE_EVERY_MS) : async () => {};
  const result = await runLoad({ ...base, seconds: ctx.options.seconds, body: body('m') });
  await stopProbes();
  ctx.log(`  ${summary(result)}`);
  return result;
}

const queuedRuns = async (url: string) =>
  sumMetric(await scrape(url), 'remediator_alerts_matched_total', { name: 'outcome', value: 'queued' });

async function lowLoad(ctx: BenchContext, server: Server, tag: string): Promise<ReactionResult> {
  const prober = new Prober({ url: server.url, headers: { authorization: `Bearer ${ctx.token}` } }, ctx.target, tag);
  await prober.sequence(PROBES_LOW_LOAD, PROBE_GAP_MS);
  const result = await prober.result(10_000);
  ctx.log(`  p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
  return result;
}

async function underLoad(ctx: BenchContext, server: Server, tag: string, count?: (n: number) => void) {
  const prober = new Prober({ url: server.url, headers: { authorization: `Bearer ${ctx.token}` } }, ctx.target, tag);
  let before = 0;
  const load = await measureLoad(ctx, server, true, tag, prober, async () => {
    if (count) before = await queuedRuns(server.url);
  });
  if (count) count((await queuedRuns(server.url)) - before);
  const reaction = await prober.result(PROBE_WAIT_MS);
  ctx.log(`  reaction under load: p50 ${reaction.p50Ms.toFixed(0)} ms, ${reaction.missing} of ${reaction.sent} not started`);
  return { load, reaction };
}

async function measureRemediator(ctx: BenchContext): Promise<Measured> {
  const svc = await ctx.remediator('ingest', ctx.open);
  try {
    ctx.log('ingest: remediator, non-actionable alerts');
    const nonActionable = await measureLoad(ctx, svc, false, 'rn');
    ctx.log('reaction: remediator, low load');
    const low = await lowLoad(ctx, svc, 'rl');
    ctx.log('ingest: remediator, actionable alerts (reaction probes alongside)');
    let runsStored = 0;
    const high = await underLoad(ctx, svc, 'ra', (n) => (runsStored = n));
    return { actionable: high.load, nonActionable, lowLoad: low, underLoad: high.reaction, runsStored };
  } finally {
    await svc.stop();
  }
}

async function measureParse(ctx: BenchContext): Promise<Pick<Measured, 'actionable' | 'nonActionable'>> {
  const bare = await ctx.bare('parse');
  try {
    ctx.log('ingest: bare fastify, actionable body');
    const actionable = await measureLoad(ctx, bare, true, 'pa');
    ctx.log('ingest: bare fastify, non-actionable body');
    const nonActionable = await measureLoad(ctx, bare, false, 'pn');
    return { actionable, nonActionable };
  } finally {
    await bare.stop();
  }
}

async function measurePipeline(ctx: BenchContext): Promise<Pick<Measured, 'lowLoad' | 'underLoad'>> {
  const bare = await ctx.bare('pipeline');
  try {
    ctx.log('reaction: bare pipeline, low load');
    const low = await lowLoad(ctx, bare, 'bl');
    ctx.log('reaction: bare pipeline under actionable load');
    const high = await underLoad(ctx, bare, 'ba');
    return { lowLoad: low, underLoad: high.reaction };
  } finally {
    await bare.stop();
  }
}

function summary(r: LoadResult): string {
  return `${r.acceptedPerSec.toFixed(0)} notifications/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, other answers ${r.other}, errors ${r.errors}; CPU ${cpuText(r.cpu)}`;
}

function rows(r: Measured, parse: Pick<Measured, 'actionable' | 'nonActionable'>, pipe: Pick<Measured, 'lowLoad' | 'underLoad'>): Row[] {
  const out: Row[] = [];
  for (const [section, own, base, min] of [
    ['1', r.actionable, parse.actionable, 0.3],
    ['2', r.nonActionable, parse.nonActionable, 0.85],
  ] as const) {
    const ratio = own.acceptedPerSec / base.acceptedPerSec;
    const expected = ALERTS_PER_NOTIFICATION * (own.accepted + r.underLoad.sent);
    const stored =
      section === '1' && r.runsStored !== undefined
        ? ` Runs stored (remediator_alerts_matched_total{outcome="queued"}): ${r.runsStored} of ${expected} expected (2 per accepted notification and probe).`
        : '';
    out.push(
      {
        section,
        measure: `notifications/s (${CONNECTIONS} connections)`,
        value: own.acceptedPerSec,
        baseline: base.acceptedPerSec,
        unit: 'per_s',
        target: { text: `≥ ${min.toFixed(2)}x`, met: ratio >= min },
        note:
          `${own.accepted} accepted in ${ctxSeconds(own)}; other answers ${own.other}, errors ${own.errors}.${stored} ` +
          `CPU (cores) remediator run: ${cpuText(own.cpu)}; baseline run: ${cpuText(base.cpu)}.`,
      },
      { section, measure: 'alerts/s', value: own.acceptedPerSec * ALERTS_PER_NOTIFICATION, baseline: base.acceptedPerSec * ALERTS_PER_NOTIFICATION, unit: 'per_s' },
      { section, measure: 'latency p50', value: own.p50Ms, baseline: base.p50Ms, unit: 'ms' },
      { section, measure: 'latency p99', value: own.p99Ms, baseline: base.p99Ms, unit: 'ms' },
    );
  }
  out.push(
    { section: '3', measure: 'low load, p50', value: r.lowLoad.p50Ms, baseline: pipe.lowLoad.p50Ms, unit: 'ms' },
    {
      section: '3',
      measure: 'low load, p99',
      value: r.lowLoad.p99Ms,
      baseline: pipe.lowLoad.p99Ms,
      unit: 'ms',
      target: { text: '< 20 ms', met: r.lowLoad.p99Ms < 20 },
      note: `${r.lowLoad.sent} probes, one every ${PROBE_GAP_MS} ms (each waits for its 202).`,
    },
    { section: '3', measure: 'under load of 1, p50', value: r.underLoad.p50Ms, baseline: pipe.underLoad.p50Ms, unit: 'ms' },
    {
      section: '3',
      measure: 'under load of 1, p99',
      value: r.underLoad.p99Ms,
      baseline: pipe.underLoad.p99Ms,
      unit: 'ms',
      note:
        `${r.underLoad.sent} probes, one every ${PROBE_EVERY_MS} ms during the load; ${r.underLoad.missing} (baseline ${pipe.underLoad.missing}) ` +
        `had not started ${PROBE_WAIT_MS / 1000} s after the load ended (counted as ∞).`,
    },
  );
  return out;
}

function ctxSeconds(r: LoadResult): string {
  return `${(r.accepted / r.acceptedPerSec).toFixed(1)} s`;
}
