import type { ApprovalRecord } from '../../policy/approval-types.ts';
import type { RunRecord, StepRecord } from '../../types.ts';
import {
  commandText,
  durationText,
  pairs,
  runDuration,
  runHref,
  runsHref,
  runStatusView,
  stepStatusView,
  timeView,
} from './views.ts';
import { pageHoldView } from './page-hold-view.ts';

/** The Approve and Deny forms of a run, when this process can decide approvals. */
export interface DecideView {
  readonly approveUrl: string;
  readonly denyUrl: string;
  /** The id of the request the forms answer. */
  readonly request: string;
  readonly csrf: string;
  /** Which page the answer returns to. */
  readonly back: 'run' | 'approvals';
}

const LIVE: ReadonlySet<string> = new Set(['queued', 'running', 'awaiting_approval']);

export function isLive(run: RunRecord): boolean {
  return LIVE.has(run.status);
}

/** The current approval request of a run that waits for one. */
export function pendingApproval(run: RunRecord): ApprovalRecord | undefined {
  const last = run.approvals?.at(-1);
  return run.status === 'awaiting_approval' && last?.state === 'pending' ? last : undefined;
}

export function decideView(run: RunRecord, csrf: string, back: DecideView['back']): DecideView {
  return {
    approveUrl: `${runHref(run.id)}/approve`,
    denyUrl: `${runHref(run.id)}/deny`,
    // The form names the request shown, so it never answers one the run asked after the page was drawn.
    request: pendingApproval(run)?.id ?? '',
    csrf,
    back,
  };
}

/** One row of the runs table. */
export function runRow(run: RunRecord, now: number) {
  return {
    id: run.id,
    shortId: run.id.length > 14 ? `${run.id.slice(0, 12)}…` : run.id,
    href: runHref(run.id),
    status: runStatusView(run.status),
    runbook: run.runbook,
    runbookHref: runsHref({ runbook: run.runbook }),
    target: run.target,
    targetHref: runsHref({ target: run.target }),
    alertname: run.alert.labels['alertname'] ?? '',
    received: timeView(run.receivedAt, now),
    took: runDuration(run, now),
    reason: run.reason,
  };
}

/** Everything the run detail page shows. */
export function runDetail(run: RunRecord, now: number, decide: DecideView | undefined) {
  const approval = pendingApproval(run);
  return {
    ...runRow(run, now),
    live: isLive(run),
    refreshUrl: `${runHref(run.id)}?fragment=1`,
    updatedAt: timeView(new Date(now).toISOString(), now),
    message: run.message,
    started: timeView(run.startedAt, now),
    finished: timeView(run.finishedAt, now),
    rerunOf: run.rerunOf === undefined ? undefined : { id: run.rerunOf, href: runHref(run.rerunOf) },
    group: run.group || undefined,
    targetState: run.targetState,
    alert: {
      status: run.alert.status,
      startsAt: timeView(run.alert.startsAt, now),
      fingerprint: run.alert.fingerprint,
      generatorURL: run.alert.generatorURL,
      labels: pairs(run.alert.labels),
      annotations: pairs(run.alert.annotations),
      receiver: run.source?.receiver,
    },
    steps: run.steps.map((step, index) => stepView(step, index, now)),
    decisions: (run.decisions ?? []).map((d) => ({
      ...d,
      view: stepStatusView(d.decision),
      at: timeView(d.at, now),
    })),
    approvals: (run.approvals ?? []).map((a) => approvalView(a, now)),
    pending: approval === undefined ? undefined : { ...approvalView(approval, now), decide },
    escalations: run.escalations ?? [],
    pageHold: pageHoldView(run.pageHold, now),
  };
}

export function stepView(step: StepRecord, index: number, now: number) {
  return {
    number: index + 1,
    name: step.name,
    status: stepStatusView(step.status),
    skippedBecause: step.skippedBecause,
    retried: step.retried === true,
    command: commandText(step.action),
    result:
      step.exitCode !== undefined
        ? `exit ${step.exitCode}`
        : step.httpStatus !== undefined
          ? `HTTP ${step.httpStatus}`
          : undefined,
    output: step.output || undefined,
    // ansible steps: what each task did (in a dry run, what it would have done).
    tasks: step.tasks?.length ? step.tasks : undefined,
    error: step.error === undefined ? undefined : `${step.errorCode ?? 'error'}: ${step.error}`,
    started: timeView(step.startedAt, now),
    took: step.durationMs === undefined ? undefined : durationText(step.durationMs),
    verify:
      step.verify === undefined
        ? undefined
        : {
            ...step.verify,
            view: stepStatusView(step.verify.ok ? 'succeeded' : 'failed'),
            took: durationText(step.verify.elapsedMs),
          },
    undo:
      step.undo === undefined
        ? undefined
        : {
            view: stepStatusView(step.undo.status),
            command: commandText(step.undo.action),
            output: step.undo.output || undefined,
            error:
              step.undo.error === undefined
                ? undefined
                : `${step.undo.errorCode ?? 'error'}: ${step.undo.error}`,
          },
  };
}

export function approvalView(a: ApprovalRecord, now: number) {
  return {
    state: stepStatusView(a.state),
    /** What waits: the whole run (asked before it starts) or one step. */
    wholeRun: a.scope === 'run',
    step: a.step + 1,
    stepName: a.stepName,
    why: a.why,
    requested: timeView(a.requestedAt, now),
    expires: timeView(a.expiresAt, now),
    onExpiry: a.onExpiry,
    decided: timeView(a.decidedAt, now),
    decidedBy: a.decidedBy,
    via: a.via,
    comment: a.comment,
  };
}
