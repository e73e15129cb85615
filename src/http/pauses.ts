import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { PauseInput } from '../policy/pause-match.ts';
import { operatorGate } from './auth-gate.ts';
import { createPause, listPauses } from './pause-actions.ts';
import { strictValidator } from './strict-validator.ts';
import { withRedis } from './redis-guard.ts';

const listSchema = {
  summary: 'List pauses, active or expired',
  tags: ['pauses'],
  security: [{ bearer: [] }],
};
const expireSchema = {
  summary: 'Expire a pause now',
  tags: ['pauses'],
  security: [{ bearer: [] }],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
};

/**
 * Pauses, like Alertmanager silences but for remediation: `POST /api/v1/pauses` (matchers, duration
 * or expiresAt, comment), `GET /api/v1/pauses`, `DELETE /api/v1/pauses/:id` (expires it now).
 * Paused matches are recorded as skipped runs, never dropped silently.
 */
export async function pausesRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.addHook('onRequest', operatorGate(deps));
  const pauses = deps.stores.pauses;
  app.post<{ Body: PauseInput }>('/api/v1/pauses', {
    validatorCompiler: strictValidator,
    schema: {
      summary: 'Pause remediation for alerts that match (like an Alertmanager silence)',
      tags: ['pauses'],
      security: [{ bearer: [] }],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['matchers', 'comment'],
        properties: {
          matchers: { type: 'array', items: { type: 'string' }, maxItems: 50 },
          duration: { type: 'string' },
          expiresAt: { type: 'string' },
          comment: { type: 'string' },
          createdBy: { type: 'string', maxLength: 200 },
        },
      },
    },
    handler: async (request, reply) => {
      const created = await createPause(pauses, request.body, deps.now());
      if (!created.ok)
        return reply
          .code(400)
          .send({ error: 'bad_request', message: created.problems.join('; '), problems: created.problems });
      request.log.info({ pause: created.pause }, 'pause created');
      return reply.code(201).send(created.pause);
    },
  });
  app.get('/api/v1/pauses', { schema: listSchema }, async () => ({
    pauses: await listPauses(pauses, deps.now().getTime()),
  }));
  app.delete<{ Params: { id: string } }>(
    '/api/v1/pauses/:id',
    { schema: expireSchema },
    async (request, reply) => {
      const ended = await withRedis(() => pauses.expire(request.params.id, deps.now().getTime()));
      if (!ended)
        return reply.code(404).send({ error: 'not_found', message: `no pause with id ${request.params.id}` });
      request.log.info({ pause: request.params.id }, 'pause expired');
      return reply.code(200).send({ id: request.params.id, expired: true });
    },
  );
}
