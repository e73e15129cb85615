import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { QueueState } from '../record/metrics.ts';
import { credentialGate } from './auth-gate.ts';

const QUEUE_STATES: QueueState[] = ['waiting', 'active', 'delayed', 'failed'];

const metricsSchema = { summary: 'Prometheus metrics (text format)', tags: ['ops'] };

/**
 * GET /metrics in Prometheus text format; queue depth is read from Redis at scrape time. With
 * REMEDIATOR_METRICS_TOKEN set, a scrape must send it as a Bearer token (Prometheus'
 * `authorization: { credentials_file: ... }`), throttled like every other credential.
 */
export async function metricsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const token = deps.settings.metricsToken;
  if (token !== undefined)
    app.addHook(
      'onRequest',
      credentialGate(
        { token },
        'metrics',
        { logins: deps.authStores.logins, metrics: deps.metrics },
        'send REMEDIATOR_METRICS_TOKEN as a Bearer token',
      ),
    );
  app.get('/metrics', { schema: metricsSchema }, async (request, reply) => {
    try {
      const counts = await deps.queueCounts();
      for (const state of QUEUE_STATES) deps.metrics.queueJobs.labels(state).set(counts[state] ?? 0);
    } catch (err) {
      // Still answer: the scrape shows the rest, and the last known queue depth stays.
      request.log.warn({ err: (err as Error).message }, 'queue depth unavailable for this scrape');
    }
    await deps
      .collectPolicyMetrics?.()
      .catch((err: unknown) =>
        request.log.warn({ err: (err as Error).message }, 'policy state unavailable for this scrape'),
      );
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
}
