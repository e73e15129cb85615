// 1. ingest of actionable alerts, 2. of non-actionable alerts, 3. reaction latency (low load and under
// the load of 1). Load from autocannon in this process, the server under test in its own process.
import type { BenchContext } from './lib/context.ts';
import { OPEN_SETTINGS } from './lib/fixture.ts';
import { cpuText, runLoad, type LoadResult } from './lib/load.ts';
import { cpuMeter } from './lib/proc.ts';
import { scrape, sumMetric } from './lib/metrics.ts';
import {
  actionableLabels,
  bodyFactory,
  nonActionableLabels,
  otherRunbookProbeLabels,
} from './lib/payloads.ts';
import {
  ALERTS_PER_NOTIFICATION,
  CONNECTIONS,
  PROBE_EVERY_MS,
  PROBE_GAP_MS,
  PROBE_WAIT_MS,
  PROBES_LOW_LOAD,
  PROBES_WARMUP,
  rows,
  type LowLoad,
  type Measured,
} from './ingest-rows.ts';
import { Prober } from './reaction.ts';
import type { Row } from './table.ts';

export async function benchIngest(ctx: BenchContext): Promise<Row[]> {
  const { remediator, parse } = await measureIngest(ctx);
  await ctx.flush();
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
  probes: readonly Prober[] = [],
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
  const stops = probes.map((p) => p.every(PROBE_EVERY_MS));
  const result = await runLoad({ ...base, seconds: ctx.options.seconds, body: body('m') });
  await Promise.all(stops.map((stop) => stop()));
  ctx.log(`  ${summary(result)}`);
  return result;
}

const queuedRuns = async (url: string) =>
  sumMetric(await scrape(url), 'remediator_alerts_matched_total', { name: 'outcome', value: 'queued' });

const prober = (
  ctx: BenchContext,
  server: Server,
  tag: string,
  first: number,
  labels?: (n: number) => Record<string, string>,
) =>
  new Prober(
    { url: server.url, headers: { authorization: `Bearer ${ctx.token}` } },
    ctx.target,
    tag,
    first,
    labels,
  );

/** First probe number of the other runbook's probes: targets no other probe uses. */
const OTHER_PROBES_FIRST = 500;

async function lowLoad(
  ctx: BenchContext,
  server: Server,
  tag: string,
  runRecords: boolean,
): Promise<LowLoad> {
  const warmup = prober(ctx, server, `${tag}w`, 250);
  await warmup.sequence(PROBES_WARMUP, PROBE_GAP_MS);
  await warmup.result(5000);
  const probes = prober(ctx, server, tag, 0);
  const meter = cpuMeter({ server: server.pid, redis: ctx.redis.pid, target: ctx.target.pid });
  await probes.sequence(PROBES_LOW_LOAD, PROBE_GAP_MS);
  const result = await probes.result(10_000);
  const cpu = meter();
  ctx.log(`  p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms; CPU ${cpuText(cpu)}`);
  if (!runRecords) return { ...result, cpu };
  return { ...result, cpu, phases: await probes.phases(server.url, 'restart-leaking-service') };
}

/**
 * Sustained actionable load of one runbook with two kinds of probes alongside: fresh alerts of the
 * same runbook (behind its own backlog) and of another runbook (behind one turn, with fair turns).
 */
async function underLoad(ctx: BenchContext, server: Server, tag: string, count?: (n: number) => void) {
  const same = prober(ctx, server, tag, PROBES_LOW_LOAD);
  const other = prober(ctx, server, `${tag}o`, OTHER_PROBES_FIRST, otherRunbookProbeLabels);
  let before = 0;
  const load = await measureLoad(ctx, server, true, tag, [same, other], async () => {
    if (count) before = await queuedRuns(server.url);
  });
  if (count) count((await queuedRuns(server.url)) - before);
  const reactionOther = await other.result(PROBE_WAIT_MS);
  const reaction = await same.result(PROBE_WAIT_MS);
  for (const [what, r] of [
    ['same runbook', reaction],
    ['another runbook', reactionOther],
  ] as const)
    ctx.log(
      `  reaction under load, ${what}: p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, ${r.missing} of ${r.sent} not started`,
    );
  return { load, reaction, reactionOther };
}

/**
 * Remediator and the bare fastify baseline run side by side, each measurement right after its baseline's,
 * so that a change in the machine's other load hits both alike. The baseline goes first: remediator's
 * actionable run leaves its worker busy for a while.
 */
async function measureIngest(
  ctx: BenchContext,
): Promise<{ remediator: Measured; parse: Pick<Measured, 'actionable' | 'nonActionable'> }> {
  const svc = await ctx.remediator('ingest', ctx.open, OPEN_SETTINGS);
  const bare = await ctx.bare('parse');
  try {
    ctx.log('ingest: bare fastify, non-actionable alerts');
    const parseNon = await measureLoad(ctx, bare, false, 'pn');
    ctx.log('ingest: remediator, non-actionable alerts');
    const nonActionable = await measureLoad(ctx, svc, false, 'rn');
    ctx.log('reaction: remediator, low load');
    const low = await lowLoad(ctx, svc, 'rl', true);
    ctx.log('ingest: bare fastify, actionable alerts');
    const parseAct = await measureLoad(ctx, bare, true, 'pa');
    await bare.stop();
    ctx.log('ingest: remediator, actionable alerts (reaction probes alongside)');
    let runsStored = 0;
    const high = await underLoad(ctx, svc, 'ra', (n) => (runsStored = n));
    return {
      remediator: {
        actionable: high.load,
        nonActionable,
        lowLoad: low,
        underLoad: high.reaction,
        underLoadOther: high.reactionOther,
        runsStored,
      },
      parse: { actionable: parseAct, nonActionable: parseNon },
    };
  } finally {
    await bare.stop();
    await svc.stop();
  }
}

async function measurePipeline(
  ctx: BenchContext,
): Promise<Pick<Measured, 'lowLoad' | 'underLoad' | 'underLoadOther'>> {
  const bare = await ctx.bare('pipeline');
  try {
    ctx.log('reaction: bare pipeline, low load');
    const low = await lowLoad(ctx, bare, 'bl', false);
    ctx.log('reaction: bare pipeline under actionable load');
    const high = await underLoad(ctx, bare, 'ba');
    return { lowLoad: low, underLoad: high.reaction, underLoadOther: high.reactionOther };
  } finally {
    await bare.stop();
  }
}

function summary(r: LoadResult): string {
  return `${r.acceptedPerSec.toFixed(0)} notifications/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, other answers ${r.other}, errors ${r.errors}; CPU ${cpuText(r.cpu)}`;
}
