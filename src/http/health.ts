import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';

const healthzSchema = { summary: 'Liveness: the process answers', tags: ['ops'] };
const readyzSchema = {
  summary: 'Readiness: Redis answers and runbooks are loaded (503 otherwise)',
  tags: ['ops'],
};

/** /healthz: the process answers. /readyz: Redis answers and runbooks are loaded (503 otherwise). */
export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readyzSchema }, async (_request, reply) => {
    const redis = await deps.pingRedis();
    const ready = redis && deps.runbookCount > 0;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      checks: { redis: redis ? 'ok' : 'unreachable', runbooks: deps.runbookCount },
    });
  });
}
