import type { Candidate } from '../ingest/plan.ts';
import type { Alert, RunRecord } from '../types.ts';
import type { Occurrence } from './history.ts';

/** The records the replay makes of history, shaped as the service's own. */
export function alertOf(o: Occurrence, status: Alert['status']): Alert {
  return {
    status,
    labels: o.labels,
    annotations: {},
    startsAt: iso(o.startsAt),
    endsAt: o.endsAt === undefined || status === 'firing' ? '0001-01-01T00:00:00Z' : iso(o.endsAt),
    generatorURL: '',
    fingerprint: o.fingerprint,
  };
}

export function newRun(c: Candidate, target: string, now: number): RunRecord {
  return {
    id: c.runId,
    runbook: c.runbook.name,
    target,
    status: 'queued',
    alert: c.alert,
    source: { receiver: 'backtest', groupKey: '', externalURL: '' },
    receivedAt: iso(now),
    steps: [],
  };
}

export function approvedNow(
  run: RunRecord,
  now: number,
  why: string[],
): NonNullable<RunRecord['approvals']>[number] {
  return {
    state: 'approved',
    scope: 'run',
    step: 0,
    stepName: '',
    why,
    requestedAt: iso(now),
    expiresAt: iso(now),
    onExpiry: 'deny',
    stepsHash: '',
    decidedAt: iso(now),
    decidedBy: 'backtest',
    via: 'api',
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
