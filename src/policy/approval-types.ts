import type { RunRecord } from '../types.ts';

/** What an operator answers to an approval request. */
export type ApprovalDecision = 'approve' | 'deny';

/** Where an answer came from (recorded with who answered). `expiry` is nobody answering in time. */
export type ApprovalChannel = 'link' | 'api' | 'cli' | 'slack' | 'console' | 'expiry';

/** One approval request of a run (a run may ask more than once: before it starts, before a risky step). */
export interface ApprovalRecord {
  /**
   * Random id of this request: every answer (link, Slack button, API, CLI, console) names it, so an
   * answer counts for this request only, once. Absent only on requests recorded by older versions.
   */
  id?: string;
  /** `cancelled`: the alert resolved while the request waited. */
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
  /** `run`: the runbook's approval, asked before the run starts; `step`: a step's, asked before that step. */
  scope: 'run' | 'step';
  /** Index in `run.steps` of the step waiting for the answer (the first step when the whole run waits). */
  step: number;
  stepName: string;
  /** Why approval is needed, in words (`always`, `label role="primary"`, `outside Mon-Fri 09:00-18:00 Europe/Berlin`, ...). */
  why: string[];
  requestedAt: string;
  expiresAt: string;
  /** What happens when nobody answers by `expiresAt`. */
  onExpiry: 'deny' | 'approve';
  /** sha256 of the rendered steps the approver is shown; a signed link is only good for these. */
  stepsHash: string;
  decidedAt?: string;
  decidedBy?: string;
  via?: ApprovalChannel;
  /** The approver's comment (a deny reason, usually). */
  comment?: string;
  /** What the approval webhooks answered. */
  notified?: Array<{ target: string; ok: boolean; status?: number; error?: string; attempts: number }>;
}

export type DecideResult =
  | { ok: true; run: RunRecord }
  | {
      ok: false;
      /**
       * E_NOT_FOUND (404: no such run or request), E_NOT_AWAITING (409: already answered or not
       * asking), E_EXPIRED (410), E_STALE (409: the steps changed since the link was signed),
       * E_SUPERSEDED (410: the answer names an earlier request of the run; it asks again since).
       */
      code: 'E_NOT_FOUND' | 'E_NOT_AWAITING' | 'E_EXPIRED' | 'E_STALE' | 'E_SUPERSEDED';
      message: string;
      httpStatus: 404 | 409 | 410;
    };

export interface DecideInput {
  readonly runId: string;
  readonly decision: ApprovalDecision;
  /** Who answered (operator name, Slack user, `cli:<user>`). */
  readonly by: string;
  readonly via: ApprovalChannel;
  readonly comment?: string;
  /** When answering through a signed link: the steps hash it was signed over. */
  readonly stepsHash?: string;
  /** The request answered ({@link ApprovalRecord.id}); every channel names it. */
  readonly requestId?: string;
}

/** Answers approval requests; the API, the CLI (through the API), links, Slack and the console all go through it. */
export interface ApprovalService {
  decide(input: DecideInput): Promise<DecideResult>;
}
