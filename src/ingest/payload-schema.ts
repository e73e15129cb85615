/**
 * JSON Schema of Alertmanager's webhook payload (version 4), as fastify validates it. Unknown fields
 * are allowed (a newer Alertmanager may add some, and a 4xx would make it drop the notification for
 * good); the fields remediator relies on are checked strictly.
 */
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const alertSchema = {
  type: 'object',
  required: ['status', 'labels', 'startsAt', 'fingerprint'],
  properties: {
    status: { type: 'string', enum: ['firing', 'resolved'] },
    labels: { ...stringMap, minProperties: 1 },
    annotations: stringMap,
    startsAt: { type: 'string', minLength: 1, maxLength: 64 },
    endsAt: { type: 'string', maxLength: 64 },
    generatorURL: { type: 'string' },
    fingerprint: { type: 'string', pattern: '^[0-9A-Za-z]{1,64}$' },
  },
} as const;

export const webhookPayloadSchema = {
  type: 'object',
  required: ['version', 'status', 'alerts'],
  properties: {
    version: { type: 'string', enum: ['4'] },
    groupKey: { type: 'string' },
    truncatedAlerts: { type: 'integer', minimum: 0 },
    status: { type: 'string', enum: ['firing', 'resolved'] },
    receiver: { type: 'string' },
    groupLabels: stringMap,
    commonLabels: stringMap,
    commonAnnotations: stringMap,
    externalURL: { type: 'string' },
    alerts: { type: 'array', items: alertSchema },
  },
} as const;

export interface WebhookPayload {
  version: '4';
  groupKey?: string;
  truncatedAlerts?: number;
  status: 'firing' | 'resolved';
  receiver?: string;
  externalURL?: string;
  alerts: Array<{
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    startsAt: string;
    endsAt?: string;
    generatorURL?: string;
    fingerprint: string;
  }>;
}
