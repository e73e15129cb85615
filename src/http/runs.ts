import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { RunStatus } from '../types.ts';
import { operatorGate } from './auth-gate.ts';
import { withRedis } from './redis-guard.ts';

const STATUSES: RunStatus[] = [
  'queued',
  'awaiting_approval',
  'running',
  'succeeded',
  'failed',
  'unknown',
  'skipped',
];

interface ListQuery {
  runbook?: string;
  target?: string;
  status?: RunStatus;
  limit: number;
  offset: number;
}

const runSchema = {
  summary: 'One run by id',
  tags: ['runs'],
  security: [{ bearer: [] }],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
};

/** The runs API: newest first, filtered and paged, and one run by id. Needs the operator token when set. */
export async function runsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.addHook('onRequest', operatorGate(deps));
  app.get<{ Querystring: ListQuery }>('/api/v1/runs', {
    schema: {
      summary: 'List runs, newest first, filtered and paged',
      tags: ['runs'],
      security: [{ bearer: [] }],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          runbook: { type: 'string' },
          target: { type: 'string' },
          status: { type: 'string', enum: STATUSES },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
    },
    handler: async (request) => withRedis(() => deps.store.list(request.query)),
  });
  app.get<{ Params: { id: string } }>('/api/v1/runs/:id', { schema: runSchema }, async (request, reply) => {
    const run = await withRedis(() => deps.store.get(request.params.id));
    if (!run)
      return reply.code(404).send({ error: 'not_found', message: `no run with id ${request.params.id}` });
    return run;
  });
  app.get<{ Querystring: { limit?: number } }>('/api/v1/events', {
    schema: {
      summary: 'Recent audit events, newest first',
      tags: ['runs'],
      security: [{ bearer: [] }],
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
    },
    handler: async (request) => ({
      events: await withRedis(() => deps.audit.recent(request.query.limit ?? 100)),
    }),
  });
}
