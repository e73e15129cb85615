import type { Decision, PolicyReason, StageName } from './types.ts';

/** What a stage concluded: go on, stop the run (skip or refuse), or wait and ask again. */
export type StageOutcome =
  | { readonly kind: 'pass'; readonly decision: Decision }
  | { readonly kind: 'stop'; readonly decision: Decision }
  | { readonly kind: 'wait'; readonly decision: Decision; readonly retryAt: number };

export function pass(stage: StageName, now: number, detail?: string): StageOutcome {
  return {
    kind: 'pass',
    decision: { stage, decision: 'allow', at: iso(now), ...(detail ? { detail } : {}) },
  };
}

export function stop(
  stage: StageName,
  reason: PolicyReason,
  now: number,
  detail: string,
  refuse = true,
): StageOutcome {
  return {
    kind: 'stop',
    decision: { stage, decision: refuse ? 'refuse' : 'skip', reason, detail, at: iso(now) },
  };
}

export function wait(
  stage: StageName,
  reason: PolicyReason,
  now: number,
  retryAt: number,
  detail: string,
): StageOutcome {
  return { kind: 'wait', retryAt, decision: { stage, decision: 'wait', reason, detail, at: iso(now) } };
}

function iso(now: number): string {
  return new Date(now).toISOString();
}
