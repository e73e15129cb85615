import { joinArgv } from '../execute/shell-quote.ts';
import { describeLocal } from '../execute/describe-local.ts';
import { visibleJson } from '../execute/visible-json.ts';
import { signLink } from '../policy/approval-link.ts';
import type { ApprovalRecord } from '../policy/approval-types.ts';
import type { RenderedAction, RunRecord } from '../types.ts';
import { createWebhookPoster, slackEscape, type DeliveryResult, type EscalatorOptions } from './escalate.ts';

/** What approvers are sent: enough to decide without opening anything, and the ways to answer. */
export interface ApprovalMessage {
  runId: string;
  /** The request this message asks about: an answer through the API names it (`{ requestId }`). */
  requestId: string;
  runbook: string;
  target: string;
  alert: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string };
  /** Why approval is needed (each condition that held). */
  why: string[];
  /** `run`: before the run starts; `step`: before `step`, earlier steps having run. */
  scope: 'run' | 'step';
  step: string;
  /** Every step as it will run, exactly; `awaiting` marks the one the answer is for (and, for a run, all). */
  steps: Array<{ name: string; status: string; action: string; awaiting: boolean }>;
  requestedAt: string;
  expiresAt: string;
  onExpiry: 'deny' | 'approve';
  /** Signed, single-use, expiring: GET shows a confirmation page, the answer is a POST. */
  approveUrl: string;
  denyUrl: string;
  /** `POST /api/v1/runs/:id/approve` and `/deny` (body `{ requestId }`) take the operator token instead. */
  apiUrl: string;
}

export interface ApprovalNotifier {
  /** Posts the request to every approval webhook; never throws. */
  notify(run: RunRecord, request: ApprovalRecord): Promise<DeliveryResult[]>;
}

/** One line for a rendered action, as a human reads it (shell-quoted argv, or method and path). */
export function describeAction(action: RenderedAction | undefined): string {
  if (!action) return '(not rendered)';
  if (action.kind === 'exec' || action.kind === 'ansible') return describeLocal(action);
  if (action.kind === 'ssh')
    return `ssh: ${joinArgv(action.argv)}${action.stdin !== undefined ? ` <<< ${visibleJson(action.stdin)}` : ''}`;
  const body = action.body === undefined ? '' : ` ${visibleJson(action.body)}`;
  return `http: ${action.method} ${action.path}${body}`;
}

/** The steps as an approver sees them: each rendered, and which ones the answer is for. */
export function approverSteps(run: RunRecord, request: ApprovalRecord | undefined): ApprovalMessage['steps'] {
  return run.steps.map((s, i) => ({
    name: s.name,
    status: s.status,
    action: describeAction(s.action),
    awaiting: request ? (request.scope === 'run' ? s.status === 'pending' : i === request.step) : false,
  }));
}

export function approvalMessage(
  run: RunRecord,
  request: ApprovalRecord,
  links: { baseUrl: string; secret: Buffer },
): ApprovalMessage {
  const sign = (decision: 'approve' | 'deny') =>
    `${links.baseUrl}/approvals/${signLink(links.secret, {
      runId: run.id,
      requestId: request.id ?? '',
      decision,
      stepsHash: request.stepsHash,
      expiresAt: Date.parse(request.expiresAt),
    })}`;
  return {
    runId: run.id,
    requestId: request.id ?? '',
    runbook: run.runbook,
    target: run.target,
    alert: { labels: run.alert.labels, annotations: run.alert.annotations, startsAt: run.alert.startsAt },
    why: request.why,
    scope: request.scope,
    step: request.stepName,
    steps: approverSteps(run, request),
    requestedAt: request.requestedAt,
    expiresAt: request.expiresAt,
    onExpiry: request.onExpiry,
    approveUrl: sign('approve'),
    denyUrl: sign('deny'),
    apiUrl: `${links.baseUrl}/api/v1/runs/${encodeURIComponent(run.id)}`,
  };
}

/**
 * A Slack message with Approve / Deny buttons and the signed links. A button's value is
 * `<run id>:<request id>`, so a press answers this request only (never the run's next one).
 */
export function approvalSlackBody(m: ApprovalMessage): { text: string; blocks: unknown[] } {
  const alertname = m.alert.labels['alertname'] ?? '(no alertname)';
  const title = `Approval needed: ${alertname} on ${m.target}`;
  const steps = awaitingLines(m.steps.filter((s) => s.awaiting));
  return {
    text: slackEscape(title),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            `*Runbook:* ${slackEscape(m.runbook)}`,
            `*Why:* ${slackEscape(m.why.join('; '))}`,
            `*Expires:* ${m.expiresAt} (then: ${m.onExpiry})`,
          ].join('\n'),
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: steps || '_no step_' } },
      {
        type: 'actions',
        block_id: 'remediator_approval',
        elements: [
          button('Approve', 'remediator_approve', slackValue(m), 'primary'),
          button('Deny', 'remediator_deny', slackValue(m), 'danger'),
        ],
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `<${m.approveUrl}|Approve in the browser> · <${m.denyUrl}|Deny>` },
        ],
      },
    ],
  };
}

const ACTION_MAX = 300;
const SECTION_MAX = 2900;

/**
 * One line per awaiting step. What is cut says so: a param admitting a long value could otherwise
 * push what the runbook writes after it (`--replicas=0`) out of the approver's sight, and steps past
 * Slack's section limit would vanish without a word.
 */
function awaitingLines(steps: ApprovalMessage['steps']): string {
  const lines: string[] = [];
  let length = 0;
  for (const [i, s] of steps.entries()) {
    const action =
      s.action.length > ACTION_MAX
        ? `\`${slackEscape(s.action.slice(0, ACTION_MAX - 1))}…\` (cut: ${ACTION_MAX - 1} of ${s.action.length} characters shown; open the run for the whole command)`
        : `\`${slackEscape(s.action)}\``;
    const line = `• *${slackEscape(s.name)}*: ${action}`;
    if (length + line.length + 60 > SECTION_MAX) {
      lines.push(`_…and ${steps.length - i} more step(s): open the run to see them_`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

export function slackValue(m: Pick<ApprovalMessage, 'runId' | 'requestId'>): string {
  return `${m.runId}:${m.requestId}`;
}

function button(text: string, actionId: string, value: string, style: 'primary' | 'danger') {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value, style };
}

export function createApprovalNotifier(
  options: EscalatorOptions & {
    /** Where people reach this service (REMEDIATOR_PUBLIC_URL, else the address it listens on). */
    readonly baseUrl: () => string;
    readonly secret: () => Promise<Buffer>;
  },
): ApprovalNotifier {
  const poster = createWebhookPoster<ApprovalMessage>({
    ...options,
    what: 'approval request',
    render: (format, m) =>
      format === 'slack' ? approvalSlackBody(m) : { version: '1', kind: 'remediator.approval_request', ...m },
  });
  return {
    async notify(run, request) {
      const links = { baseUrl: options.baseUrl(), secret: await options.secret() };
      return poster.escalate(approvalMessage(run, request, links));
    },
  };
}
