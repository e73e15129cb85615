import { formatDuration } from '../config/duration.ts';
import { occurrenceId } from '../ingest/occurrence.ts';
import { admissionRequest } from './admission-stage.ts';
import { approvalReasons } from './approval-condition.ts';
import { policyKeys } from './keys.ts';
import { matchingPause } from './pause-match.ts';
import { stormRate } from './storm-stage.ts';
import type { StageContext } from './types.ts';

export interface Inspection {
  stage: string;
  /** What the gate would decide now: allow, refuse, skip or wait. */
  decision: 'allow' | 'refuse' | 'skip' | 'wait';
  detail: string;
}

/**
 * What the policy gate would decide for a run, read only: nothing is taken, counted or started.
 * Used by `remediator test`; the real gate decides atomically and may differ under concurrency.
 */
export async function inspectGate(ctx: Omit<StageContext, 'owner'>): Promise<Inspection[]> {
  const { run, runbook, now, stores, settings } = ctx;
  const out: Inspection[] = [];
  const [resolved] = await stores.occurrences.areResolved([
    occurrenceId(run.alert.fingerprint, run.alert.startsAt),
  ]);
  out.push(
    resolved
      ? { stage: 'resolved', decision: 'skip', detail: 'the alert already resolved' }
      : { stage: 'resolved', decision: 'allow', detail: 'firing' },
  );
  const pause = matchingPause(await stores.pauses.active(now), run.alert.labels, now);
  out.push(
    pause
      ? { stage: 'pause', decision: 'skip', detail: `pause ${pause.id}: ${pause.comment}` }
      : { stage: 'pause', decision: 'allow', detail: 'no pause matches' },
  );
  out.push(await inspectStorm(ctx));
  const breaker = await stores.breakers.state(policyKeys.breaker(runbook.name), runbook.policy.breaker, now);
  out.push({
    stage: 'breaker',
    decision: breaker === 'open' ? 'refuse' : 'allow',
    detail: `circuit ${breaker}`,
  });
  const until = await stores.cooldowns.until(policyKeys.cooldown(runbook.name, run.target), now);
  out.push(
    until
      ? {
          stage: 'cooldown',
          decision: 'refuse',
          detail: `cooling down until ${new Date(until).toISOString()}`,
        }
      : { stage: 'cooldown', decision: 'allow', detail: 'no cooldown' },
  );
  const request = admissionRequest(run, runbook, settings, now, `${run.id}/inspect`);
  if (runbook.approval) {
    const usage = await stores.admission.usage(request.slots.slice(0, 2), now);
    const why = approvalReasons(runbook.approval, run.alert.labels, now, usage);
    out.push(
      why.length > 0
        ? { stage: 'approval', decision: 'wait', detail: `would wait for a human: ${why.join('; ')}` }
        : { stage: 'approval', decision: 'allow', detail: 'not needed' },
    );
  }
  const peek = await stores.admission.peek(request);
  out.push(
    peek.ok
      ? {
          stage: 'admission',
          decision: 'allow',
          detail: `places free (${request.slots.map((s) => s.key).join(', ')}, ${request.lock.key})`,
        }
      : { stage: 'admission', decision: 'wait', detail: `would wait: ${peek.blocked} is full` },
  );
  const windows = [
    { key: policyKeys.rateTarget(runbook.name, run.target), ...runbook.policy.maxRunsPerTarget },
    { key: policyKeys.rateRunbook(runbook.name), ...runbook.policy.maxRuns },
    { key: policyKeys.rateGlobal(), ...settings.rateLimit },
  ];
  const counts = await stores.windows.count(windows, now);
  const full = windows.findIndex((w, i) => (counts[i] ?? 0) >= w.limit);
  const usage = windows
    .map((w, i) => `${w.key} ${counts[i] ?? 0}/${w.limit} per ${formatDuration(w.windowMs)}`)
    .join(', ');
  out.push({ stage: 'rate_limit', decision: full >= 0 ? 'refuse' : 'allow', detail: usage });
  if (settings.dryRun || runbook.dryRun)
    out.push({ stage: 'dry_run', decision: 'skip', detail: 'dry run: nothing would execute' });
  return out;
}

/** The storm guard, read only: this run would be one more arrival in its runbook's window. */
async function inspectStorm(ctx: Omit<StageContext, 'owner'>): Promise<Inspection> {
  const rate = stormRate(ctx);
  if (rate === 'off') return { stage: 'storm', decision: 'allow', detail: 'off' };
  const seen = await ctx.stores.storms.peek({
    runbook: ctx.runbook.name,
    receivedAt: Date.parse(ctx.run.receivedAt),
    windowMs: rate.windowMs,
  });
  const within = `${seen.arrivals} of ${rate.limit} arrivals in ${formatDuration(rate.windowMs)}`;
  return seen.arrivals >= rate.limit
    ? { stage: 'storm', decision: 'refuse', detail: `storm: ${within}; this one would be refused` }
    : {
        stage: 'storm',
        decision: 'allow',
        detail: `${within}${seen.storm ? ' (a storm was refused lately)' : ''}`,
      };
}
