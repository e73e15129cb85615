import { Counter, type Registry } from 'prom-client';

/**
 * Where a credential was checked: the operator API (`/api/v1`), the Alertmanager webhook, the console
 * (its login form, or Basic/Bearer on its pages), a Slack callback (a replayed one).
 */
export type AuthKind = 'api' | 'webhook' | 'console' | 'slack' | 'metrics';
const KINDS: AuthKind[] = ['api', 'webhook', 'console', 'slack', 'metrics'];

/** Failed logins and the throttling they cause; part of createMetrics (one factory, one registry). */
export function createAuthMetrics(registry: Registry) {
  const registers = [registry];
  const authFailures = new Counter({
    name: 'remediator_auth_failures_total',
    help: 'Requests refused for wrong or missing credentials (or a replayed Slack callback), by where.',
    labelNames: ['kind'] as const,
    registers,
  });
  const authThrottled = new Counter({
    name: 'remediator_auth_throttled_total',
    help: 'Requests answered 429 because their client address failed to log in too often, by where.',
    labelNames: ['kind'] as const,
    registers,
  });
  for (const kind of KINDS) {
    authFailures.labels(kind).inc(0);
    authThrottled.labels(kind).inc(0);
  }
  return { authFailures, authThrottled };
}
