// The rows of sections 1-3 (ingest and reaction latency) and the shape of what bench/ingest.ts measures.
import { cpuText, type LoadResult } from './lib/load.ts';
import type { ReactionResult } from './reaction.ts';
import type { Row } from './table.ts';

export const CONNECTIONS = 50;
export const ALERTS_PER_NOTIFICATION = 2;
export const PROBES_LOW_LOAD = 150;
/** Probes sent (and not counted) before the low-load ones: a fresh process's first runs take 40-80 ms. */
export const PROBES_WARMUP = 20;
export const PROBE_GAP_MS = 20;
export const PROBE_EVERY_MS = 100;
/** How long to wait, after the load, for the steps of the probes sent under load to start. */
export const PROBE_WAIT_MS = 20_000;

export type LowLoad = ReactionResult & { cpu: Record<string, number>; phases?: Record<string, number> };

export interface Measured {
  actionable: LoadResult;
  nonActionable: LoadResult;
  lowLoad: LowLoad;
  underLoad: ReactionResult;
  /** Probes of another runbook sent alongside those of `underLoad`. */
  underLoadOther: ReactionResult;
  /** Runs remediator stored during the measured actionable run (its `alerts_matched_total{outcome="queued"}`). */
  runsStored?: number;
}

export function rows(
  r: Measured,
  parse: Pick<Measured, 'actionable' | 'nonActionable'>,
  pipe: Pick<Measured, 'lowLoad' | 'underLoad' | 'underLoadOther'>,
): Row[] {
  const out: Row[] = [];
  for (const [section, own, base, min] of [
    ['1', r.actionable, parse.actionable, 0.3],
    ['2', r.nonActionable, parse.nonActionable, 0.85],
  ] as const) {
    const ratio = own.acceptedPerSec / base.acceptedPerSec;
    const expected = ALERTS_PER_NOTIFICATION * (own.accepted + r.underLoad.sent);
    const stored =
      section === '1' && r.runsStored !== undefined
        ? ` Runs stored during the run (remediator_alerts_matched_total{outcome="queued"}): ${r.runsStored}; 2 per accepted notification and probe make ${expected} (the rest: requests in flight when autocannon started or stopped counting).`
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
      {
        section,
        measure: 'alerts/s',
        value: own.acceptedPerSec * ALERTS_PER_NOTIFICATION,
        baseline: base.acceptedPerSec * ALERTS_PER_NOTIFICATION,
        unit: 'per_s',
      },
      { section, measure: 'latency p50', value: own.p50Ms, baseline: base.p50Ms, unit: 'ms' },
      { section, measure: 'latency p99', value: own.p99Ms, baseline: base.p99Ms, unit: 'ms' },
    );
  }
  out.push(
    {
      section: '3',
      measure: 'low load, p50',
      value: r.lowLoad.p50Ms,
      baseline: pipe.lowLoad.p50Ms,
      unit: 'ms',
    },
    {
      section: '3',
      measure: 'low load, p99',
      value: r.lowLoad.p99Ms,
      baseline: pipe.lowLoad.p99Ms,
      unit: 'ms',
      target: { text: '< 20 ms', met: r.lowLoad.p99Ms < 20 },
      note:
        `${r.lowLoad.sent} probes, one every ${PROBE_GAP_MS} ms (each waits for its 202), after ${PROBES_WARMUP} ` +
        `not counted (a fresh process's first runs take 40-80 ms: compilation, first connections). Medians from the run records ` +
        `(ms timestamps): ${phasesText(r.lowLoad.phases)}. CPU (cores): ${cpuText(r.lowLoad.cpu)}; baseline ${cpuText(pipe.lowLoad.cpu)}.`,
    },
    {
      section: '3',
      measure: 'under load of 1, p50',
      value: r.underLoad.p50Ms,
      baseline: pipe.underLoad.p50Ms,
      unit: 'ms',
    },
    {
      section: '3',
      measure: 'under load of 1, p99',
      value: r.underLoad.p99Ms,
      baseline: pipe.underLoad.p99Ms,
      unit: 'ms',
      note:
        `${r.underLoad.sent} probes of the load's own runbook, one every ${PROBE_EVERY_MS} ms during the load; ${r.underLoad.missing} (baseline ${pipe.underLoad.missing}) ` +
        `had not started ${PROBE_WAIT_MS / 1000} s after the load ended (counted as ∞). They queue behind that runbook's backlog ` +
        `(fair turns order runbooks, not the runs of one), which grows while the load adds runs faster than the worker decides them.`,
    },
    {
      section: '3',
      measure: 'under load of 1, another runbook, p50',
      value: r.underLoadOther.p50Ms,
      baseline: pipe.underLoadOther.p50Ms,
      unit: 'ms',
    },
    {
      section: '3',
      measure: 'under load of 1, another runbook, p99',
      value: r.underLoadOther.p99Ms,
      baseline: pipe.underLoadOther.p99Ms,
      unit: 'ms',
      note:
        `${r.underLoadOther.sent} probes of another runbook on targets of their own, sent alongside the same-runbook probes; ` +
        `${r.underLoadOther.missing} (baseline ${pipe.underLoadOther.missing}) had not started ${PROBE_WAIT_MS / 1000} s after the load ended. ` +
        `The baseline (one FIFO queue) puts them behind the whole backlog; fair turns behind one turn of the busy runbook.`,
    },
  );
  return out;
}

function phasesText(p: Record<string, number> | undefined): string {
  if (!p) return 'n/a';
  return (
    `sent → received ${p['received']} ms, received → first policy decision (queue, worker pick-up) ${p['picked']} ms, ` +
    `→ claimed (policy gate) ${p['gate']} ms, → step started ${p['step']} ms`
  );
}

function ctxSeconds(r: LoadResult): string {
  return `${(r.accepted / r.acceptedPerSec).toFixed(1)} s`;
}
