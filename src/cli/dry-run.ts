import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { ConfigError, errorCode, errorMessage } from '../errors.ts';
import { loadInventory } from '../config/inventory.ts';
import { loadRunbooks } from '../config/runbooks.ts';
import type { Env, Settings } from '../config/settings.ts';
import { joinArgv } from '../execute/shell-quote.ts';
import { renderSteps } from '../execute/render-run.ts';
import { describeLocal } from '../execute/describe-local.ts';
import { pageHoldPlan } from '../execute/page-hold-silence.ts';
import { terminalText } from '../execute/visible-json.ts';
import { toNotification } from '../ingest/alerts.ts';
import { webhookPayloadSchema, type WebhookPayload } from '../ingest/payload-schema.ts';
import { planRuns } from '../ingest/plan.ts';
import { buildRunbookIndex } from '../match/select.ts';
import type { Alert, RenderedAction } from '../types.ts';
import { inspectGate, type Inspection } from '../policy/inspect.ts';
import type { PolicySettings, PolicyStores } from '../policy/types.ts';

export interface DryRunMatch {
  runbook: string;
  file: string;
  runId: string;
  target?: string;
  /** How the inventory reaches the target, or why the run would fail. */
  reach?: string;
  steps?: Array<{ name: string; action: RenderedAction }>;
  error?: { code: string; message: string };
  /** What the policy gate would decide now (when a Redis state was given). */
  policy?: Inspection[];
  /** Whether the run would hold the human page (execute/page-hold-silence.ts), for firing alerts. */
  page?: string;
}

export interface DryRunReport {
  truncatedAlerts: number;
  /** `live` (REDIS_URL) or `fresh` (a clean, throwaway Redis); absent when no policy view was asked for. */
  policyState?: string;
  alerts: Array<{ alert: Alert; matches: DryRunMatch[] }>;
}

/** What a payload would do, without Redis and without running anything. */
export interface PolicyView {
  stores: PolicyStores;
  settings: PolicySettings;
  /** Where the state came from, for the report: `live` or `fresh`. */
  source: string;
}

export async function dryRun(
  payloadFile: string,
  settings: Settings,
  env: Env,
  policy?: PolicyView,
): Promise<DryRunReport> {
  const payload = await readPayload(payloadFile);
  const runbooks = await loadRunbooks([settings.runbooksDir], settings.local);
  const inventory = await loadInventory(settings.inventoryFile, { env });
  const notification = toNotification(payload);
  const index = buildRunbookIndex(runbooks);
  const alerts = notification.alerts.map((alert) => ({
    alert,
    matches: planRuns([alert], index).map((c): DryRunMatch => {
      const base = { runbook: c.runbook.name, file: c.runbook.file, runId: c.runId };
      if (!c.target.ok) return { ...base, error: { code: c.target.code, message: c.target.message } };
      const target = inventory.get(c.target.name);
      const reach = target
        ? [
            target.ssh && `ssh ${target.ssh.user}@${target.ssh.host}:${target.ssh.port}`,
            target.http && `http ${target.http.baseUrl}`,
            target.local && 'local',
          ]
            .filter(Boolean)
            .join(', ')
        : undefined;
      const withTarget = { ...base, target: c.target.name, ...(reach ? { reach } : {}) };
      if (!target) {
        return {
          ...withTarget,
          error: { code: 'E_UNKNOWN_TARGET', message: `target "${c.target.name}" is not in the inventory` },
        };
      }
      try {
        const actions = renderSteps(c.runbook, alert, c.target.name);
        const page = pageHoldPlan(c.runbook, alert.labels, settings, c.runbook.dryRun);
        return {
          ...withTarget,
          steps: c.runbook.steps.map((s, i) => ({ name: s.name, action: actions[i]! })),
          ...(alert.status === 'firing' && page ? { page } : {}),
        };
      } catch (err) {
        return { ...withTarget, error: { code: errorCode(err), message: errorMessage(err) } };
      }
    }),
  }));
  if (policy) {
    const now = Date.now();
    for (const entry of alerts) {
      for (const m of entry.matches) {
        const runbook = runbooks.find((r) => r.name === m.runbook);
        if (!runbook || m.target === undefined) continue;
        const run = {
          id: m.runId,
          runbook: m.runbook,
          target: m.target,
          status: 'queued' as const,
          alert: entry.alert,
          source: notification.source,
          receivedAt: new Date(now).toISOString(),
          steps: [],
        };
        m.policy = await inspectGate({ run, runbook, now, stores: policy.stores, settings: policy.settings });
      }
    }
  }
  return {
    truncatedAlerts: notification.truncatedAlerts,
    ...(policy ? { policyState: policy.source } : {}),
    alerts,
  };
}

async function readPayload(file: string): Promise<WebhookPayload> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${file}: not a readable JSON file (${errorMessage(err)})`]);
  }
  const validate = new Ajv({ allErrors: true }).compile(webhookPayloadSchema);
  if (!validate(value)) {
    throw new ConfigError(
      (validate.errors ?? []).map((e) => `${file}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
    );
  }
  return value as WebhookPayload;
}

export function formatDryRun(report: DryRunReport): string {
  const lines: string[] = [];
  if (report.truncatedAlerts > 0)
    lines.push(`warning: ${report.truncatedAlerts} alert(s) truncated by Alertmanager (max_alerts)`);
  for (const { alert, matches } of report.alerts) {
    const labels = Object.entries(alert.labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
    lines.push(
      `alert {${labels}} ${alert.status} (fingerprint ${alert.fingerprint}, startsAt ${alert.startsAt})`,
    );
    if (matches.length === 0) lines.push('  no runbook matches');
    for (const m of matches) {
      lines.push(`  runbook ${m.runbook} (${m.file}) run ${m.runId}`);
      if (m.target) lines.push(`    target ${m.target}${m.reach ? ` via ${m.reach}` : ''}`);
      if (m.error) lines.push(`    would fail: ${m.error.code}: ${m.error.message}`);
      m.steps?.forEach((s, i) => lines.push(`    ${i + 1}. ${s.name}: ${describeAction(s.action)}`));
      if (m.page) lines.push(`    page: ${m.page}`);
      if (m.policy) {
        lines.push(`    policy (${report.policyState ?? ''} state):`);
        for (const p of m.policy) lines.push(`      ${p.stage}: ${p.decision} (${p.detail})`);
      }
    }
  }
  if (!report.policyState)
    lines.push('(policy decisions not shown: set REDIS_URL to see them against live state, or pass --fresh)');
  // Label names and values, a target that is no inventory name, error messages quoting a value: alert
  // data, printed to a terminal.
  return lines.map(terminalText).join('\n');
}

function describeAction(action: RenderedAction): string {
  if (action.kind === 'exec' || action.kind === 'ansible') {
    return `${describeLocal(action)} (timeout ${action.timeoutMs} ms)`;
  }
  if (action.kind === 'ssh') {
    let command: string;
    try {
      command = joinArgv(action.argv);
    } catch (err) {
      command = `refused: ${errorMessage(err)}`;
    }
    return `ssh ${command}${action.stdin === undefined ? '' : ` <<< ${JSON.stringify(action.stdin)}`} (timeout ${action.timeoutMs} ms)`;
  }
  const body = action.body === undefined ? '' : ` ${JSON.stringify(action.body)}`;
  return `http ${action.method} ${action.path}${body} expect ${action.expect.length ? action.expect.join('|') : '2xx'} (timeout ${action.timeoutMs} ms)`;
}
