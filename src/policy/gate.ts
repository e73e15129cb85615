import type { AdmissionRequest } from '../stores/types.ts';
import type { ApprovalSpec } from '../types.ts';
import { admissionStage } from './admission-stage.ts';
import { approvalStage } from './approval-stage.ts';
import { admitBreaker, breakerStage } from './breaker-stage.ts';
import { cooldownStage } from './cooldown-stage.ts';
import { pass, type StageOutcome } from './outcome.ts';
import { pauseStage } from './pause-stage.ts';
import { rateLimitStage } from './rate-limit-stage.ts';
import { resolvedStage } from './resolved-stage.ts';
import { stormStage } from './storm-stage.ts';
import { ESCALATING, type Decision, type StageContext } from './types.ts';

export type GateResult =
  | { kind: 'go'; decisions: Decision[]; admission: AdmissionRequest; fence: number; trial: boolean }
  | { kind: 'stop'; decisions: Decision[]; decision: Decision; escalate: boolean }
  | { kind: 'wait'; decisions: Decision[]; retryAt: number }
  /** A human must approve first: the runner records the request; the run holds nothing meanwhile. */
  | { kind: 'approval'; decisions: Decision[]; why: string[]; spec: ApprovalSpec };

/**
 * The policy pipeline between "an alert matched" and "a step runs". Cheap checks first (nothing is
 * taken), then a human's approval when the runbook asks for one, then the places the run must hold (it may wait for them), then, holding them, the cooldown
 * again, the rate windows (which count the run) and the breaker's permission (a half-open breaker's
 * single trial): a refusal after admission gives the places back.
 */
export async function gate(ctx: StageContext, dryRun: boolean): Promise<GateResult> {
  const decisions: Decision[] = [];
  const stopped = (o: StageOutcome): Extract<GateResult, { kind: 'stop' }> => ({
    kind: 'stop',
    decisions,
    decision: o.decision,
    // A re-run refused by the cooldown is the policy working as meant: the occurrence just had a run.
    escalate:
      o.decision.reason !== undefined &&
      ESCALATING.has(o.decision.reason) &&
      !(o.decision.reason === 'cooldown' && ctx.run.rerunOf),
  });
  for (const stage of [resolvedStage, pauseStage]) {
    const outcome = await stage(ctx);
    decisions.push(outcome.decision);
    if (outcome.kind === 'stop') return stopped(outcome);
  }
  // Before anything that waits: a storm's excess is refused at once, and pages once per storm.
  const storm = await stormStage(ctx);
  decisions.push(storm.outcome.decision);
  if (storm.outcome.kind === 'stop') return { ...stopped(storm.outcome), escalate: storm.page };
  for (const stage of [breakerStage, cooldownStage]) {
    const outcome = await stage(ctx);
    decisions.push(outcome.decision);
    if (outcome.kind === 'stop') return stopped(outcome);
  }
  // Before any place is taken: a run waiting for a human must not hold the target or a slot.
  const approval = await approvalStage(ctx, dryRun);
  if (approval.decision) decisions.push(approval.decision);
  if (approval.kind === 'ask') return { kind: 'approval', decisions, why: approval.why, spec: approval.spec };
  const admission = await admissionStage(ctx);
  decisions.push(admission.outcome.decision);
  if (admission.outcome.kind === 'wait')
    return { kind: 'wait', decisions, retryAt: admission.outcome.retryAt };
  if (admission.outcome.kind === 'stop' || admission.fence === undefined) return stopped(admission.outcome);
  const release = () => ctx.stores.admission.release(admission.request);
  // Checked again holding the lock: a run that ended just now (and started a cooldown) released it.
  const cooldown = await cooldownStage(ctx);
  if (cooldown.kind === 'stop') {
    decisions.push(cooldown.decision);
    await release();
    return stopped(cooldown);
  }
  // A dry run must not use up the real runs' windows.
  const rate = dryRun ? pass('rate_limit', ctx.now, 'dry run: not counted') : await rateLimitStage(ctx);
  decisions.push(rate.decision);
  if (rate.kind === 'stop') {
    await release();
    return stopped(rate);
  }
  // Last, so a half-open breaker's only trial is not spent on a run refused for another reason; a dry
  // run takes no trial at all.
  const breaker = dryRun ? { outcome: pass('breaker', ctx.now), trial: false } : await admitBreaker(ctx);
  // The breaker's plain "allow" was recorded above; record this one when it says more: a trial, a refusal.
  if (breaker.trial || breaker.outcome.kind === 'stop') decisions.push(breaker.outcome.decision);
  if (breaker.outcome.kind === 'stop') {
    await release();
    return stopped(breaker.outcome);
  }
  return {
    kind: 'go',
    decisions,
    admission: admission.request,
    fence: admission.fence,
    trial: breaker.trial,
  };
}
