import { errorMessage, RemediatorError } from '../errors.ts';
import type { Logger } from '../types.ts';

/** What humans are told when a run gives up. */
export interface Escalation {
  runId: string;
  runbook: string;
  target: string;
  /** The run's status (failed, unknown, ...). */
  status: string;
  /** Stable code of why the run ended (E_...). */
  reason: string;
  message: string;
  alert: {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    fingerprint: string;
  };
  /** Every step tried, in order; `verify` is the verification's last detail. */
  steps: Array<{ name: string; status: string; errorCode?: string; error?: string; verify?: string }>;
  /** The policy stages' decisions for the run. */
  decisions: Array<{ stage: string; decision: string; reason?: string }>;
  /** Link to the run in the console, when a public URL is set. */
  runUrl?: string;
}

/** `json`: the Escalation itself; `slack`: a Slack incoming-webhook message. */
export type EscalationFormat = 'json' | 'slack';

export interface EscalationTarget {
  readonly url: string;
  readonly format: EscalationFormat;
}

export interface DeliveryResult {
  /** `scheme://host[:port]` only: webhook URLs often carry secrets in their path. */
  target: string;
  ok: boolean;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  error?: string;
  attempts: number;
}

export interface Escalator<T = Escalation> {
  /** Delivers to every target in parallel; never throws. Results are in the order of the targets. */
  escalate(e: T): Promise<DeliveryResult[]>;
}

const SLACK_PREFIX = 'slack+';

/**
 * Parses a comma-separated list of webhook URLs; `slack+https://...` selects Slack's message body.
 * Errors name the entry by position and scheme://host only, since the rest may be a secret.
 */
export function parseEscalationTargets(text: string, what = 'escalation target'): EscalationTarget[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry, i) => {
    const slack = entry.startsWith(SLACK_PREFIX);
    const url = slack ? entry.slice(SLACK_PREFIX.length) : entry;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new RemediatorError(
        'E_CONFIG',
        `${what} ${i + 1} (${redact(entry)}) is not an http(s) URL: ` +
          `write https://host/path, or slack+https://hooks.slack.com/services/... for Slack`,
      );
    }
    return { url, format: slack ? 'slack' : 'json' };
  });
}

/** The generic webhook body. */
export function jsonBody(e: Escalation): Record<string, unknown> {
  return { version: '1', kind: 'remediator.escalation', ...e };
}

/** Slack's limit for a section's text. */
const SLACK_SECTION_MAX = 3000;
/** How much of one step's error a Slack line shows. */
const SLACK_ERROR_MAX = 300;

/** A Slack incoming-webhook message (Block Kit, mrkdwn). */
export function slackBody(e: Escalation): { text: string; blocks: unknown[] } {
  const alertname = e.alert.labels['alertname'] ?? '(no alertname)';
  const title = `Remediation gave up: ${alertname} on ${e.target}`;
  const summary = [
    `*Alert:* ${slackEscape(alertname)}`,
    `*Target:* ${slackEscape(e.target)}`,
    `*Runbook:* ${slackEscape(e.runbook)}`,
    `*Status:* ${slackEscape(e.status)} (${slackEscape(e.reason)})`,
    ...(e.message === '' ? [] : [slackEscape(clip(e.message, SLACK_ERROR_MAX))]),
  ].join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: summary } },
    { type: 'section', text: { type: 'mrkdwn', text: stepLines(e.steps) } },
  ];
  if (e.runUrl !== undefined) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `<${slackEscape(e.runUrl)}|Open the run>` },
    });
  }
  return { text: slackEscape(title), blocks };
}

/** One line per step; lines that do not fit Slack's limit are counted instead of cut mid-way. */
function stepLines(steps: Escalation['steps']): string {
  if (steps.length === 0) return '_No step was tried._';
  const lines: string[] = [];
  let length = 0;
  for (const [i, step] of steps.entries()) {
    const line = stepLine(step);
    if (length + line.length + 40 > SLACK_SECTION_MAX) {
      lines.push(`… and ${steps.length - i} more steps`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

function stepLine(step: Escalation['steps'][number]): string {
  let line = `• *${slackEscape(step.name)}*: ${slackEscape(step.status)}`;
  if (step.errorCode !== undefined) line += ` (${slackEscape(step.errorCode)})`;
  if (step.error !== undefined) line += ` ${slackEscape(clip(step.error, SLACK_ERROR_MAX))}`;
  if (step.verify !== undefined) line += `; verify: ${slackEscape(clip(step.verify, SLACK_ERROR_MAX))}`;
  return line;
}

/** Slack's mrkdwn escaping: only &, < and > (so user data cannot make links or mentions). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `scheme://host[:port]` of a URL, or the text before its first `/` when it is no URL at all. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url.startsWith(SLACK_PREFIX) ? url.slice(SLACK_PREFIX.length) : url);
    if (parsed.host !== '')
      return `${url.startsWith(SLACK_PREFIX) ? SLACK_PREFIX : ''}${parsed.protocol}//${parsed.host}`;
  } catch {
    // Not a URL: fall through.
  }
  const slash = url.indexOf('/');
  return slash === -1 ? url : `${url.slice(0, slash)}/…`;
}

export interface EscalatorOptions {
  readonly targets: readonly EscalationTarget[];
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per attempt. @defaultValue 5000 */
  readonly timeoutMs?: number;
  /** Further attempts after a 5xx or a network error; a 4xx is never retried. @defaultValue 2 */
  readonly retries?: number;
  /** Wait before retry n (the last value repeats). @defaultValue [200, 800] */
  readonly backoffMs?: readonly number[];
  readonly log: Logger;
}

/** Posts escalations (the generic JSON body or Slack's) to every target. */
export function createEscalator(options: EscalatorOptions): Escalator {
  return createWebhookPoster<Escalation>({
    ...options,
    what: 'escalation',
    render: (format, e) => (format === 'slack' ? slackBody(e) : jsonBody(e)),
  });
}

/**
 * Posts a JSON body made per target format, with a bounded retry on 5xx and network errors (never on
 * 4xx); results name targets by origin only. Escalations and approval requests both go through it.
 */
export function createWebhookPoster<T extends { runId: string }>(
  options: EscalatorOptions & {
    readonly what: string;
    readonly render: (format: EscalationFormat, payload: T) => unknown;
  },
): Escalator<T> {
  const { targets, fetch: fetchFn = globalThis.fetch, timeoutMs = 5000, retries = 2, log } = options;
  const backoffMs = options.backoffMs ?? [200, 800];
  const { what, render } = options;
  const deliver = async (target: EscalationTarget, e: T): Promise<DeliveryResult> => {
    const origin = redact(target.url);
    // Error texts (an invalid URL, say) may quote the URL: only its origin leaves this function.
    const scrub = (text: string): string => text.split(target.url).join(origin);
    let result: DeliveryResult = { target: origin, ok: false, attempts: 0 };
    try {
      const body = JSON.stringify(render(target.format, e));
      for (let attempt = 1; attempt <= retries + 1; attempt++) {
        if (attempt > 1) await sleep(backoffMs[Math.min(attempt - 2, backoffMs.length - 1)] ?? 0);
        const outcome = await post(fetchFn, target.url, body, timeoutMs);
        result = { target: origin, attempts: attempt, ...outcome };
        if (outcome.error !== undefined) result.error = scrub(outcome.error);
        const retryable = !outcome.ok && (outcome.status === undefined || outcome.status >= 500);
        if (!retryable) break;
        log.debug({ runId: e.runId, target: origin, attempt, error: result.error }, `${what} attempt failed`);
      }
    } catch (err) {
      result = { ...result, ok: false, error: scrub(errorMessage(err)) };
    }
    if (result.ok) {
      log.info({ runId: e.runId, target: origin, attempts: result.attempts }, `${what} delivered`);
    } else {
      log.warn({ runId: e.runId, ...result }, `${what} not delivered`);
    }
    return result;
  };
  return {
    escalate: (e) => Promise.all(targets.map((target) => deliver(target, e))),
  };
}

async function post(
  fetchFn: typeof fetch,
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ ok: boolean; status?: number; error?: string }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal: timeout,
    });
    const text = await response.text();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    return {
      ok: false,
      status: response.status,
      error: `answered ${response.status}${detail ? `: ${detail}` : ''}`,
    };
  } catch (err) {
    if (timeout.aborted) return { ok: false, error: `no answer within ${timeoutMs} ms` };
    const cause = (err as { cause?: unknown }).cause;
    return { ok: false, error: cause instanceof Error ? cause.message : errorMessage(err) };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
