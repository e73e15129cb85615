import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app.ts';
import type { ApprovalDecision, DecideResult } from '../policy/approval-types.ts';
import { operatorGate } from './auth-gate.ts';
import { withRedis } from './redis-guard.ts';
import { strictValidator } from './strict-validator.ts';

interface AnswerBody {
  /** The request answered (`approvals[-1].id` of the run): an answer counts for it alone, once. */
  requestId?: string;
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
      requestId: { type: 'string', minLength: 1, maxLength: 100 },
      by: { type: 'string', minLength: 1, maxLength: 200 },
      comment: { type: 'string', maxLength: 2000 },
      reason: { type: 'string', maxLength: 2000 },
    },
  },
});

/**
 * `POST /api/v1/runs/:id/approve` and `/deny`, with the operator token (the CLI uses these). The body
 * names the request answered (`requestId`): the answer counts for that request only, once.
 */
export async function approvalRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.addHook('onRequest', operatorGate(deps));
  const service = deps.approvals;
  if (!service) return;
  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: AnswerBody | null }>(`/api/v1/runs/:id/${decision}`, {
      validatorCompiler: strictValidator,
      schema: answerSchema(decision),
      handler: async (request, reply) => {
        const body = request.body ?? {};
        // Required: an answer without it would count for whatever the run asks next (a retried or
        // replayed call approving a later step nobody looked at).
        if (body.requestId === undefined)
          return reply.code(400).send({
            error: 'E_REQUEST_ID',
            message:
              'name the approval request you answer: body {"requestId": ...}, the id of the run\'s latest ' +
              'request (GET /api/v1/runs/:id, approvals[-1].id)',
          });
        const comment = body.reason ?? body.comment;
        const result = await withRedis(() =>
          service.decide({
            runId: request.params.id,
            requestId: body.requestId,
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
