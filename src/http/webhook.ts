import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { toNotification } from '../ingest/alerts.ts';
import { webhookPayloadSchema, type WebhookPayload } from '../ingest/payload-schema.ts';
import { planRuns } from '../ingest/plan.ts';
import { handleResolved, resolvedMatches } from '../ingest/resolved.ts';
import { updateTargets } from '../ingest/targets.ts';
import type { AppDeps } from '../app.ts';
import type { Metrics } from '../record/metrics.ts';
import type { Alert } from '../types.ts';
import { MAX_REGEX_INPUT, overlongLabels } from '../match/regex.ts';
import { enqueueRuns } from '../queue/producer.ts';
import { credentialGate } from './auth-gate.ts';
import { withRedis } from './redis-guard.ts';
import { strictValidator } from './strict-validator.ts';

const RESULT_BY_CODE: Record<number, string> = {
  202: 'accepted',
  401: 'unauthorized',
  413: 'too_large',
  429: 'unauthorized',
  503: 'unavailable',
};

/**
 * POST /hooks/alertmanager. Answers 202 only once every matching alert's run is stored in Redis,
 * 503 when Redis is away (Alertmanager retries 5xx) and 4xx only for requests that can never succeed
 * (Alertmanager drops those for good).
 */
export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { metrics } = deps;
  app.post<{ Body: WebhookPayload }>('/hooks/alertmanager', {
    schema: {
      summary: 'Receive an Alertmanager notification (webhook payload version 4)',
      tags: ['webhook'],
      security: [{ bearer: [] }],
      body: webhookPayloadSchema,
    },
    validatorCompiler: strictValidator,
    bodyLimit: deps.settings.bodyLimit,
    onRequest: credentialGate(
      deps.settings.webhookAuth,
      'webhook',
      { logins: deps.authStores.logins, metrics },
      'missing or wrong webhook credentials',
    ),
    onResponse: async (request, reply) => {
      const code = reply.statusCode;
      // Alertmanager drops a 4xx for good: say loudly that a whole notification went unseen.
      if (code === 413)
        request.log.warn(
          { bytes: Number(request.headers['content-length'] ?? 0), limit: deps.settings.bodyLimit },
          'notification refused (413): its body is over REMEDIATOR_BODY_LIMIT and Alertmanager will not ' +
            'send it again; raise the limit or set max_alerts on the receiver',
        );
      metrics.webhookDuration.labels(String(code)).observe(reply.elapsedTime / 1000);
      metrics.notifications.labels(RESULT_BY_CODE[code] ?? (code < 500 ? 'invalid' : 'error')).inc();
    },
    handler: async (request, reply) => {
      const receivedAt = deps.now().toISOString();
      const notification = toNotification(request.body);
      for (const alert of notification.alerts) metrics.alertsReceived.labels(alert.status).inc();
      noteOverlongLabels(notification.alerts, metrics, request.log);
      if (notification.truncatedAlerts > 0) {
        metrics.truncatedAlerts.inc(notification.truncatedAlerts);
        request.log.warn(
          { groupKey: notification.source.groupKey, truncatedAlerts: notification.truncatedAlerts },
          'Alertmanager truncated this notification (max_alerts): the alerts left out were not seen',
        );
        await withRedis(() =>
          deps.audit.append({
            type: 'alert:truncated',
            at: receivedAt,
            ...notification.source,
            count: notification.truncatedAlerts,
            received: notification.alerts.length,
          }),
        );
      }
      const candidates = planRuns(notification.alerts, deps.index);
      const producer = deps.producer;
      const resolved = resolvedMatches(notification.alerts, deps.index);
      const cancelled = await withRedis(() =>
        handleResolved(
          { occurrences: deps.stores.occurrences, store: producer.store, queue: producer.queue, metrics },
          resolved,
          receivedAt,
        ),
      );
      const result = await enqueueRuns(producer, notification.source, candidates, receivedAt);
      // 202 tells Alertmanager it may forget the notification: only once a failover cannot lose it.
      if (deps.confirmReplicated && (candidates.length > 0 || resolved.length > 0))
        await deps.confirmReplicated();
      // Target states are for people, not for safety: updated after the answer, failures only logged.
      void updateTargets(deps.stores.targets, resolved, deps.stabilizeMs).catch((err: unknown) =>
        request.log.warn({ err: (err as Error).message }, 'target states not updated'),
      );
      // Most notifications match nothing (alerts no runbook is for): those are logged at debug level.
      request.log[candidates.length > 0 || cancelled > 0 ? 'info' : 'debug'](
        {
          groupKey: notification.source.groupKey,
          alerts: notification.alerts.length,
          matched: candidates.length,
          ...result,
        },
        'notification accepted',
      );
      return reply.code(202).send({
        status: 'accepted',
        alerts: notification.alerts.length,
        matched: candidates.length,
        ...result,
        cancelled,
        truncatedAlerts: notification.truncatedAlerts,
      });
    },
  });
}

/** Alerts with a label value no regex looks at (see MAX_REGEX_INPUT): counted, and logged once per notification. */
function noteOverlongLabels(alerts: readonly Alert[], metrics: Metrics, log: FastifyBaseLogger): void {
  const overlong = alerts
    .map((a) => ({ fingerprint: a.fingerprint, labels: overlongLabels(a.labels) }))
    .filter((a) => a.labels.length > 0);
  if (overlong.length === 0) return;
  metrics.alertsOverlongLabels.inc(overlong.length);
  log.warn(
    { alerts: overlong, maxLength: MAX_REGEX_INPUT },
    'alert has label values too long for regex matching: they match no regex',
  );
}
