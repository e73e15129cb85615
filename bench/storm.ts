// 5. Alert storm: one notification of 5,000 alerts, then 50 notifications of 100 alerts at once.
// 6 (second half). Resident memory after the storm.
import { POLICY_DEFAULTS } from '../src/config/policy.ts';
import { readSettings } from '../src/config/settings.ts';
import { RUN_QUEUE } from '../src/queue/producer.ts';
import type { BenchContext } from './lib/context.ts';
import { cpuText } from './lib/load.ts';
import { scrape, sumMetric } from './lib/metrics.ts';
import { HOLD_MS, NO_STORM_GUARD } from './lib/fixture.ts';
import { rssBytes } from './lib/proc.ts';
import { MB, sleep } from './lib/stats.ts';
import {
  activeJobs,
  DECIDE_TIMEOUT_MS,
  phase,
  SAMPLE_MS,
  SERVICES,
  SHAPES,
  type Phase,
  type Progress,
} from './storm-phase.ts';
import type { Row } from './table.ts';

/**
 * Runs that may act at once under the shipped defaults: the service-wide in-flight cap, the runbook's
 * (all storm alerts select one runbook) and one place per group.
 */
function blastRadius(): { limit: number; text: string } {
  const global = readSettings({}).maxInFlight;
  const runbook = POLICY_DEFAULTS.maxInFlight;
  const groups = SERVICES * POLICY_DEFAULTS.groupConcurrency;
  return {
    limit: Math.min(global, runbook, groups),
    text:
      `the least of REMEDIATOR_MAX_IN_FLIGHT ${global}, the runbook's maxInFlight ${runbook} and ` +
      `${SERVICES} groups × groupConcurrency ${POLICY_DEFAULTS.groupConcurrency}`,
  };
}

interface Storm {
  phases: Phase[];
  rssAfter: number;
}

async function remediatorStorm(ctx: BenchContext): Promise<Storm> {
  await ctx.flush();
  // Blast radius and groups, as before the storm guard; section 8 measures the guard.
  const svc = await ctx.remediator('storm', ctx.guarded, NO_STORM_GUARD);
  const jobs = activeJobs(ctx, RUN_QUEUE, 'storm');
  try {
    const progress: Progress = {
      ended: async () => sumMetric(await scrape(svc.url), 'remediator_runs_total'),
      active: jobs.count,
      results: async () => runResults(await scrape(svc.url)),
    };
    await sleep(500);
    const phases: Phase[] = [];
    for (const [i, shape] of SHAPES.entries()) {
      ctx.log(`storm: remediator, ${shape.name}`);
      phases.push(await phase(ctx, svc, shape, `sr${i}`, progress));
    }
    return { phases, rssAfter: rssBytes(svc.pid) };
  } finally {
    await jobs.close();
    await svc.stop();
  }
}

async function bareStorm(ctx: BenchContext): Promise<Storm> {
  await ctx.flush();
  const bare = await ctx.bare('pipeline', 'hold');
  const jobs = activeJobs(ctx, 'bare', 'bare');
  try {
    // Every job makes exactly one request to the target, whose count starts at 0 with each phase.
    const progress: Progress = {
      ended: async () => (await ctx.target.call<{ count: number }>('stats')).count,
      active: jobs.count,
      results: async () => ({}),
    };
    await sleep(500);
    const phases: Phase[] = [];
    for (const [i, shape] of SHAPES.entries()) {
      ctx.log(`storm: bare pipeline, ${shape.name}`);
      phases.push(await phase(ctx, bare, shape, `sb${i}`, progress));
    }
    return { phases, rssAfter: rssBytes(bare.pid) };
  } finally {
    await jobs.close();
    await bare.stop();
    await ctx.flush();
  }
}

/** Ended runs by result, from remediator_runs_total{result=…}. */
function runResults(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^remediator_runs_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm)) {
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

function resultsText(before: Record<string, number>, after: Record<string, number>): string {
  return Object.entries(after)
    .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

export async function benchStorm(ctx: BenchContext): Promise<Row[]> {
  const own = await remediatorStorm(ctx);
  const base = await bareStorm(ctx);
  const radius = blastRadius();
  const rows: Row[] = [];
  SHAPES.forEach((shape, i) => {
    const r = own.phases[i]!;
    const b = base.phases[i]!;
    const total = shape.notifications * shape.alerts;
    const label = shape.notifications === 1 ? '5,000 alerts in 1' : '50 × 100 alerts';
    rows.push(
      {
        section: '5',
        measure: `${label}: time to accept`,
        value: r.acceptMs,
        baseline: b.acceptMs,
        unit: 'ms',
      },
      {
        section: '5',
        measure: `${label}: Redis memory growth`,
        value: r.redisGrowthBytes / MB,
        baseline: b.redisGrowthBytes / MB,
        unit: 'MB',
        note:
          `at the 202; peak while the runs ran +${(r.redisPeakGrowthBytes / MB).toFixed(1)} MB ` +
          `(baseline +${(b.redisPeakGrowthBytes / MB).toFixed(1)} MB); the bodies held ${(r.payloadBytes / MB).toFixed(1)} MB of JSON.`,
      },
      {
        section: '5',
        measure: `${label}: runs acting at once, peak`,
        value: r.peakActing,
        baseline: b.peakActing,
        unit: 'count',
        target: { text: `≤ ${radius.limit} (blast radius)`, met: r.peakActing <= radius.limit },
        note:
          `blast radius under the default policy: ${radius.text}. Measured: step requests open at the target at once (each step lasts ${HOLD_MS} ms there); ${r.acted} of ${total} runs acted ` +
          `(baseline ${b.acted}). BullMQ jobs active at once, sampled every ${SAMPLE_MS} ms: ${r.peakJobs} (baseline ${b.peakJobs}).`,
      },
      {
        section: '5',
        measure: `${label}: time until every run is decided`,
        value: r.decidedMs / 1000,
        baseline: b.decidedMs / 1000,
        unit: 's',
        note:
          (Number.isNaN(r.decidedMs)
            ? `NOT all decided within ${DECIDE_TIMEOUT_MS / 1000} s: ${r.decided} of ${total}. `
            : '') +
          `Remediator: remediator_runs_total reached the alert count (polled every ${SAMPLE_MS} ms); ended as ` +
          `${resultsText(i === 0 ? {} : own.phases[i - 1]!.results, r.results) || 'nothing'}. ` +
          `Baseline: the target has seen every job's request. CPU (cores) from sending to decided: ` +
          `${cpuText(r.cpu)}; baseline ${cpuText(b.cpu)}.`,
      },
    );
  });
  rows.push({
    section: '6',
    measure: 'RSS after the storm',
    value: own.rssAfter / MB,
    baseline: base.rssAfter / MB,
    unit: 'MB',
    note: 'remediator with the 10 bench runbooks after both storm shapes; baseline: the bare pipeline after the same storm.',
  });
  return rows;
}
