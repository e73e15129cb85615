import { shellQuote } from '../../execute/shell-quote.ts';
import { localCommandText } from '../../execute/describe-local.ts';
import { showInvisible, visibleJson } from '../../execute/visible-json.ts';
import type { Labels, RenderedAction, RunRecord, RunStatus } from '../../types.ts';

/** How a status looks: a colour class and always a text label, so colour is never the only signal. */
export interface StatusView {
  readonly label: string;
  /** ok (green), wait (amber), bad (red), off (grey), info (blue). */
  readonly cls: 'ok' | 'wait' | 'bad' | 'off' | 'info';
  readonly symbol: string;
}

const RUN_STATUS: Readonly<Record<RunStatus, StatusView>> = {
  succeeded: { label: 'succeeded', cls: 'ok', symbol: '✓' },
  running: { label: 'running', cls: 'wait', symbol: '▶' },
  queued: { label: 'queued', cls: 'wait', symbol: '…' },
  awaiting_approval: { label: 'awaiting approval', cls: 'wait', symbol: '?' },
  failed: { label: 'failed', cls: 'bad', symbol: '✗' },
  unknown: { label: 'unknown', cls: 'bad', symbol: '!' },
  skipped: { label: 'skipped', cls: 'off', symbol: '–' },
};

export function runStatusView(status: string): StatusView {
  return RUN_STATUS[status as RunStatus] ?? { label: status, cls: 'bad', symbol: '!' };
}

/** Statuses in the order the runs filter offers them. */
export const RUN_STATUSES = Object.keys(RUN_STATUS) as RunStatus[];

/**
 * A step's, a decision's or an approval request's state: succeeded/allow/approved green,
 * failed/refuse/denied/expired red, skipped/cancelled grey, anything else (pending, running, wait) amber.
 */
export function stepStatusView(status: string): StatusView {
  if (status === 'succeeded' || status === 'allow' || status === 'approved')
    return { label: status, cls: 'ok', symbol: '✓' };
  if (status === 'failed' || status === 'refuse' || status === 'denied' || status === 'expired')
    return { label: status, cls: 'bad', symbol: '✗' };
  if (status === 'skipped' || status === 'skip' || status === 'cancelled')
    return { label: status, cls: 'off', symbol: '–' };
  return { label: status, cls: 'wait', symbol: '…' };
}

export interface TimeView {
  readonly iso: string;
  /** `2026-11-21 07:18:09 UTC` */
  readonly text: string;
  /** `3 min ago`, `in 2 h` */
  readonly ago: string;
}

export function timeView(iso: string | undefined, now: number): TimeView | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return { iso, text: iso, ago: '' };
  const text = `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const delta = now - ms;
  return { iso, text, ago: delta >= 0 ? `${durationText(delta)} ago` : `in ${durationText(-delta)}` };
}

/** `850 ms`, `12 s`, `4 min`, `3 h 5 min`, `2 d 4 h`: precise enough to read at a glance. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Labels or annotations as sorted name/value pairs (values shown as text, whatever they hold). */
export function pairs(labels: Labels | undefined): Array<{ name: string; value: string }> {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value: String(value) }));
}

/** What a rendered step runs, as one readable text: the quoted command line, or the HTTP request. */
export function commandText(action: RenderedAction | undefined): string | undefined {
  if (!action) return undefined;
  if (action.kind === 'exec' || action.kind === 'ansible') return localCommandText(action);
  if (action.kind === 'ssh') {
    const line = `$ ${action.argv.map(shellQuote).join(' ')}`;
    return action.stdin === undefined ? line : `${line}\n<<stdin\n${showInvisible(action.stdin)}\nstdin`;
  }
  const lines = [`${action.method} ${action.path}`];
  for (const [name, value] of Object.entries(action.headers)) lines.push(`${name}: ${value}`);
  if (action.body !== undefined) lines.push('', visibleJson(action.body, 2));
  // The default (any 2xx) goes without saying.
  if (action.expect.length > 0) lines.push('', `expect ${action.expect.join(' or ')}`);
  return lines.join('\n');
}

/** How long a run took or has been taking. */
export function runDuration(run: RunRecord, now: number): string | undefined {
  if (!run.startedAt) return undefined;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return durationText(Math.max(0, end - Date.parse(run.startedAt)));
}

export function runHref(id: string): string {
  return `/ui/runs/${encodeURIComponent(id)}`;
}

/** A link to the runs page with these filters (empty ones left out). */
export function runsHref(filter: Readonly<Record<string, string | number | undefined>>, extra = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) {
    if (value !== undefined && value !== '' && value !== 0) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `/ui/runs?${text}` : '/ui/runs';
}

/** The notice after an approval answer, by the `done` query value the answer's redirect sets. */
export function decisionNotice(done: string | undefined): string | undefined {
  if (done === 'approved') return 'Approved: the run goes on.';
  if (done === 'denied') return 'Denied: the run will not act.';
  return undefined;
}
