import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunbooks, parseRunbook } from '../../../src/config/runbooks.ts';
import { toNotification } from '../../../src/ingest/alerts.ts';
import type { WebhookPayload } from '../../../src/ingest/payload-schema.ts';
import { planRuns } from '../../../src/ingest/plan.ts';
import { runId } from '../../../src/ingest/run-id.ts';
import { buildRunbookIndex, type RunbookIndex } from '../../../src/match/select.ts';
import type { Runbook } from '../../../src/types.ts';
import { fixture } from '../../harness/payloads.ts';

const EXAMPLES = fileURLToPath(new URL('../../../runbooks', import.meta.url));
const alertsOf = (name: string) => toNotification(fixture(name) as unknown as WebhookPayload).alerts;

function runbook(text: string): Runbook {
  const result = parseRunbook('rb.yaml', text);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

/** Two extra runbooks: one for resolved alerts, one whose target needs a label the alerts lack. */
const onResolved = runbook(`name: note-resolved
on: resolved
match: ['alertname = "HighMemoryUsage"']
target: '{{labels.instance}}'
steps:
  - name: note
    http: { path: /resolved }
`);
const needsLabel = runbook(`name: needs-label
match: ['service = "user-service"']
target: '{{labels.node}}'
steps:
  - name: s
    ssh: { command: ['true'] }
`);

let index: RunbookIndex;
beforeAll(async () => {
  index = buildRunbookIndex([...(await loadRunbooks([EXAMPLES])), onResolved, needsLabel]);
});

const summary = (alerts: ReturnType<typeof alertsOf>) =>
  planRuns(alerts, index).map((c) => [c.runbook.name, c.alert.labels['instance'], c.target]);

describe('planRuns', () => {
  it('makes one candidate per matching (alert, runbook), in alert then runbook order', () => {
    const failed = {
      ok: false,
      code: 'E_TEMPLATE',
      message: 'target: template "{{labels.node}}": "node" is not set on this alert',
    };
    expect(summary(alertsOf('01-firing-group-of-3'))).toEqual([
      ['restart-leaking-service', 'app-1:8081', { ok: true, name: 'app-1:8081' }],
      ['needs-label', 'app-1:8081', failed],
      ['restart-leaking-service', 'app-2:8081', { ok: true, name: 'app-2:8081' }],
      ['needs-label', 'app-2:8081', failed],
      ['restart-leaking-service', 'app-3:8081', { ok: true, name: 'app-3:8081' }],
      ['needs-label', 'app-3:8081', failed],
    ]);
  });

  it("selects by each alert's own status", () => {
    expect(
      summary(alertsOf('04-one-resolved-two-firing')).map(([name, instance]) => [name, instance]),
    ).toEqual([
      ['note-resolved', 'app-1:8081'],
      ['restart-leaking-service', 'app-2:8081'],
      ['needs-label', 'app-2:8081'],
      ['restart-leaking-service', 'app-3:8081'],
      ['needs-label', 'app-3:8081'],
    ]);
  });

  it('gives each candidate the run id of its runbook and alert occurrence', () => {
    const alerts = alertsOf('01-firing-group-of-3');
    const candidates = planRuns(alerts, index);
    for (const c of candidates) {
      expect(c.runId).toBe(runId(c.runbook.name, c.alert.fingerprint, c.alert.startsAt));
    }
    expect(new Set(candidates.map((c) => c.runId)).size).toBe(candidates.length);
    expect(planRuns(alertsOf('02-ha-peer-duplicate-of-01'), index).map((c) => c.runId)).toEqual(
      candidates.map((c) => c.runId),
    );
  });

  it('makes no candidate for an alert no runbook matches', () => {
    const [first] = alertsOf('01-firing-group-of-3');
    expect(planRuns([{ ...first!, labels: { alertname: 'Unrelated' } }], index)).toEqual([]);
    expect(planRuns([], index)).toEqual([]);
  });
});
