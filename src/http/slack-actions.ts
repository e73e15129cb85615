import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { checkSlackSignature, SLACK_MAX_SKEW_S } from '../policy/slack-signature.ts';
import { withRedis } from './redis-guard.ts';
import { formFields } from './form-body.ts';

const ACTIONS: Record<string, 'approve' | 'deny'> = {
  remediator_approve: 'approve',
  remediator_deny: 'deny',
};

interface SlackPayload {
  type?: string;
  user?: { id?: string; username?: string; name?: string };
  actions?: Array<{ action_id?: string; value?: string }>;
}

/** A button's value: `<run id>:<request id>` (record/approval-notify.ts slackValue). */
function parseValue(value: string): { runId: string; requestId: string } | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) return undefined;
  return { runId: value.slice(0, colon), requestId: value.slice(colon + 1) };
}

/**
 * Slack's interactivity callback for the Approve / Deny buttons of an approval message
 * (`POST /hooks/slack/actions`, set as the app's Request URL). Only signed requests within Slack's
 * five-minute window count, each once: its signature is remembered (in Redis, for twice the window),
 * so the same body sent again is refused. The button names the request it was sent for, so a press
 * never answers a later request of the run. The answer is recorded as `slack:<user>`.
 */
export async function slackActionRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const secret = deps.settings.slackSigningSecret;
  const service = deps.approvals;
  if (!secret || !service) return;
  formFields(app);
  app.post<{ Body: Record<string, string> }>(
    '/hooks/slack/actions',
    { schema: { hide: true } },
    async (request, reply) => {
      const raw = (request as { rawBody?: string }).rawBody ?? '';
      const header = (name: string) => {
        const v = request.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const signed = checkSlackSignature(
        secret,
        { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') },
        raw,
        deps.now().getTime(),
      );
      if (!signed.ok) {
        request.log.warn({ reason: signed.message }, 'Slack callback refused');
        return reply.code(401).send({ error: 'unauthorized', message: signed.message });
      }
      // Same signature = same timestamp and body: a replay, whatever it would answer now.
      const signature = header('x-slack-signature') ?? '';
      if (
        !(await withRedis(() =>
          deps.authStores.replays.firstUse(`slack:${signature}`, 2 * SLACK_MAX_SKEW_S * 1000),
        ))
      ) {
        deps.metrics.authFailures.labels('slack').inc();
        request.log.warn({}, 'Slack callback refused: this signed body was already used');
        return reply.code(409).send({
          error: 'E_REPLAYED',
          message: 'this Slack callback was already received once; it counts once',
        });
      }
      let payload: SlackPayload;
      try {
        payload = JSON.parse(request.body?.['payload'] ?? '') as SlackPayload;
      } catch {
        return reply.code(400).send({ error: 'bad_request', message: 'no JSON payload field' });
      }
      const action = payload.actions?.find((a) => a.action_id && ACTIONS[a.action_id]);
      if (!action?.value) return reply.code(200).send({ text: 'Nothing to do for this action.' });
      const named = parseValue(action.value);
      if (!named)
        return reply.code(200).send({
          text: 'Not recorded: this button comes from an older message that does not name its request. Answer in the console.',
        });
      const user = payload.user?.username ?? payload.user?.name ?? payload.user?.id ?? 'unknown';
      const result = await withRedis(() =>
        service.decide({
          ...named,
          decision: ACTIONS[action.action_id!]!,
          by: `slack:${user}`,
          via: 'slack',
        }),
      );
      const text = result.ok
        ? `${ACTIONS[action.action_id!] === 'approve' ? 'Approved' : 'Denied'} by ${user}.`
        : `Not recorded: ${result.message}`;
      return reply.code(200).send({ replace_original: false, response_type: 'in_channel', text });
    },
  );
}
