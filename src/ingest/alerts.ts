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
      receiver: payload.receiver ?? '',
      groupKey: payload.groupKey ?? '',
      externalURL: payload.externalURL ?? '',
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
