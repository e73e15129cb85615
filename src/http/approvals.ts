import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { ApprovalDecision, DecideResult } from '../policy/approval-types.ts';
import { operatorAuth } from './auth.ts';
import { withRedis } from './redis-guard.ts';
import { strictValidator } from './strict-validator.ts';

interface AnswerBody {
  /** Who answers (recorded); defaults to `api`. */
  by?: string;
  comment?: string;
  reason?: string;
}

const answerSchema = (decision: ApprovalDecision) => ({
  summary:
    decision === 'approve'
      ? 'Approve a run waiting for approval (it goes on once the alert is checked to still fire)'
      : 'Deny a run waiting for approval (it ends skipped: approval_denied; earlier steps are undone)',
  tags: ['approvals'],
  security: [{ bearer: [] }],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      by: { type: 'string', minLength: 1, maxLength: 200 },
      comment: { type: 'string', maxLength: 2000 },
      reason: { type: 'string', maxLength: 2000 },
    },
  },
});

/** `POST /api/v1/runs/:id/approve` and `/deny`, with the operator token (the CLI uses these). */
export async function approvalRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.addHook('onRequest', operatorAuth(deps.settings.operatorToken));
  const service = deps.approvals;
  if (!service) return;
  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: AnswerBody | null }>(`/api/v1/runs/:id/${decision}`, {
      validatorCompiler: strictValidator,
      schema: answerSchema(decision),
      handler: async (request, reply) => {
        const body = request.body ?? {};
        const comment = body.reason ?? body.comment;
        const result = await withRedis(() =>
          service.decide({
            runId: request.params.id,
            decision,
            by: body.by ?? 'api',
            via: 'api',
            ...(comment ? { comment } : {}),
          }),
        );
        return answer(reply, result);
      },
    });
  }
}

export function answer(reply: FastifyReply, result: DecideResult) {
  if (result.ok) return reply.code(200).send(result.run);
  return reply.code(result.httpStatus).send({ error: result.code, message: result.message });
}
