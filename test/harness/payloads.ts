import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const FIXTURES = new URL('../fixtures/alertmanager-0.25/', import.meta.url);

/** One of the real Alertmanager 0.25 payloads in test/fixtures. */
export function fixture(name: string): Record<string, unknown> & { alerts: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
}

export interface AlertInput {
  labels: Record<string, string>;
  status?: 'firing' | 'resolved';
  annotations?: Record<string, string>;
  startsAt?: string;
  fingerprint?: string;
}

/** A webhook payload in Alertmanager's shape; each alert gets a fresh fingerprint unless given. */
export function payload(alerts: AlertInput[], extra: Record<string, unknown> = {}) {
  return {
    receiver: 'remediator',
    status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? '2026-11-21T07:18:09.123Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint: a.fingerprint ?? randomBytes(8).toString('hex'),
    })),
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    ...extra,
  };
}
