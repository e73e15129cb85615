import { describe, expect, it } from 'vitest';
import { clipSource, MAX_SOURCE_CHARS, toNotification } from '../../../src/ingest/alerts.ts';
import type { WebhookPayload } from '../../../src/ingest/payload-schema.ts';
import { fixture } from '../../harness/payloads.ts';

const notification = (name: string) => toNotification(fixture(name) as unknown as WebhookPayload);

describe('toNotification', () => {
  it('keeps each alert its own status, not the group status', () => {
    const payload = fixture('04-one-resolved-two-firing');
    expect(payload['status']).toBe('firing');
    expect(
      notification('04-one-resolved-two-firing').alerts.map((a) => [a.labels['instance'], a.status]),
    ).toEqual([
      ['app-1:8081', 'resolved'],
      ['app-2:8081', 'firing'],
      ['app-3:8081', 'firing'],
    ]);
  });

  it('keeps the fields of each alert and where the notification came from', () => {
    const n = notification('04-one-resolved-two-firing');
    expect(n.source).toEqual({
      receiver: 'r',
      groupKey: '{}:{alertname="HighMemoryUsage", service="user-service"}',
      externalURL: 'http://am-a.example:19193',
    });
    expect(n.truncatedAlerts).toBe(0);
    expect(n.alerts[0]).toEqual({
      status: 'resolved',
      labels: {
        alertname: 'HighMemoryUsage',
        instance: 'app-1:8081',
        job: 'demo',
        service: 'user-service',
        severity: 'critical',
      },
      annotations: {
        description: 'app-1 uses 93% of its memory limit',
        summary: 'user-service memory above 90%',
      },
      startsAt: '2026-11-21T07:18:09.123Z',
      endsAt: '2026-11-21T07:18:13.456Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=process_resident_memory_bytes',
      fingerprint: '0f17f6a7c893adf7',
    });
  });

  it('passes on how many alerts Alertmanager left out', () => {
    const n = notification('03-truncated-max-alerts-2');
    expect(n.truncatedAlerts).toBe(1);
    expect(n.alerts).toHaveLength(2);
  });

  it('fills optional fields a minimal payload leaves out', () => {
    const n = toNotification({
      version: '4',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'A' },
          startsAt: '2026-01-01T00:00:00Z',
          fingerprint: 'abc',
        },
      ],
    });
    expect(n).toEqual({
      source: { receiver: '', groupKey: '', externalURL: '' },
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'A' },
          annotations: {},
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '',
          generatorURL: '',
          fingerprint: 'abc',
        },
      ],
    });
  });

  it('cuts a long source field to a bounded length that still tells two long values apart', () => {
    const short = 'x'.repeat(MAX_SOURCE_CHARS);
    expect(clipSource(short)).toBe(short);
    const a = clipSource(`${short}a`);
    const b = clipSource(`${short}b`);
    expect(a).toHaveLength(MAX_SOURCE_CHARS);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^x+… \(1025 characters, sha256 [0-9a-f]{16}\)$/);
  });
});
