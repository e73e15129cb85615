import { createHash } from 'node:crypto';
import type { Alert, NotificationSource } from '../types.ts';
import type { WebhookPayload } from './payload-schema.ts';

export interface Notification {
  readonly source: NotificationSource;
  readonly alerts: readonly Alert[];
  /** Alerts Alertmanager left out of this notification because of its receiver's `max_alerts`. */
  readonly truncatedAlerts: number;
}

/** Turns a schema-valid payload into remediator's alerts; each keeps its own status, not the group's. */
export function toNotification(payload: WebhookPayload): Notification {
  return {
    source: {
      receiver: clipSource(payload.receiver ?? ''),
      groupKey: clipSource(payload.groupKey ?? ''),
      externalURL: clipSource(payload.externalURL ?? ''),
    },
    truncatedAlerts: payload.truncatedAlerts ?? 0,
    alerts: payload.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? '',
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint,
    })),
  };
}

/** The longest source field kept whole (Alertmanager's are a few hundred characters at most). */
export const MAX_SOURCE_CHARS = 1024;

/**
 * A source field cut to {@link MAX_SOURCE_CHARS}, with its length and a digest of the whole, so that
 * two long values still differ. The source is copied into every run record of the notification: a
 * group key holding an alert's long label value (`group_by` on it) would otherwise be stored once per
 * alert, a 64 MiB body becoming far more than Redis or this process can hold.
 */
export function clipSource(value: string): string {
  if (value.length <= MAX_SOURCE_CHARS) return value;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 16);
  const tail = `… (${value.length} characters, sha256 ${digest})`;
  return value.slice(0, MAX_SOURCE_CHARS - tail.length) + tail;
}
