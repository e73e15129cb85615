import { describe, expect, it } from 'vitest';
import { toNotification } from '../../../src/ingest/alerts.ts';
import type { WebhookPayload } from '../../../src/ingest/payload-schema.ts';
import { runId } from '../../../src/ingest/run-id.ts';
import { fixture } from '../../harness/payloads.ts';

const RUNBOOK = 'restart-leaking-service';
const idsOf = (name: string, runbook = RUNBOOK) =>
  toNotification(fixture(name) as unknown as WebhookPayload).alerts.map((a) =>
    runId(runbook, a.fingerprint, a.startsAt),
  );

describe('runId', () => {
  it('gives an HA peer duplicate and a repeat of a notification the ids of the original', () => {
    const first = idsOf('01-firing-group-of-3');
    expect(new Set(first).size).toBe(3);
    expect(idsOf('02-ha-peer-duplicate-of-01')).toEqual(first);
    expect(idsOf('05-repeat-interval-resend')).toEqual(first);
  });

  it('is stable across versions (ids already stored must keep matching)', () => {
    expect(runId(RUNBOOK, '0f17f6a7c893adf7', '2026-11-21T07:18:09.123Z')).toBe(
      '711f6e0443831a33bbad20ae4f515579',
    );
  });

  it('differs for another runbook, another startsAt or another fingerprint', () => {
    const base = runId(RUNBOOK, '0f17f6a7c893adf7', '2026-11-21T07:18:09.123Z');
    expect(runId('drain-erroring-instance', '0f17f6a7c893adf7', '2026-11-21T07:18:09.123Z')).not.toBe(base);
    expect(runId(RUNBOOK, '0f17f6a7c893adf7', '2026-11-21T08:00:00.000Z')).not.toBe(base);
    expect(runId(RUNBOOK, '394e29846224ca86', '2026-11-21T07:18:09.123Z')).not.toBe(base);
    expect(idsOf('01-firing-group-of-3', 'other-runbook')).not.toContain(base);
  });

  it('is 32 lower-case hex characters, so it is a valid BullMQ job id (no ":")', () => {
    for (const id of [...idsOf('01-firing-group-of-3'), runId('a:b', 'c:d', '2026-01-01T00:00:00Z')]) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id).not.toContain(':');
    }
  });
});
