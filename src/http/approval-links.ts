import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Handlebars from 'handlebars';
import type { AppDeps } from '../app.ts';
import { verifyLink, type LinkCheck } from '../policy/approval-link.ts';
import type { ApprovalRecord } from '../policy/approval-types.ts';
import { approverSteps } from '../record/approval-notify.ts';
import type { RunRecord } from '../types.ts';
import { withRedis } from './redis-guard.ts';
import { checksOwnOrigin, postSource } from './cross-site.ts';
import { formFields } from './form-body.ts';
import { originAllowed } from './ui/csrf.ts';

const page = Handlebars.compile(readFileSync(new URL('./pages/approval-link.hbs', import.meta.url), 'utf8'), {
  strict: false,
});

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const LINK_STATUS: Record<Exclude<LinkCheck, { ok: true }>['code'], number> = {
  E_LINK_MALFORMED: 400,
  E_LINK_SIGNATURE: 403,
  E_LINK_EXPIRED: 410,
};

const REFUSED_TITLE: Partial<Record<string, string>> = {
  E_EXPIRED: 'Too late',
  E_SUPERSEDED: 'This link is for an earlier request',
};

interface View {
  title: string;
  tone?: 'ok' | 'bad';
  message?: string;
  run?: RunRecord;
  request?: ApprovalRecord;
  form?: boolean;
  approve?: boolean;
}

/**
 * Signed approval links: `GET /approvals/:token` shows what will run and a confirmation form (so a
 * link preview or a crawler that follows links decides nothing); `POST` answers. The token is the
 * credential: it names the run, the decision, the exact steps and an expiry, signed with HMAC-SHA256.
 * A changed, expired or already used link gets a page saying so.
 */
export async function approvalLinkRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const links = deps.approvalLinks;
  const service = deps.approvals;
  if (!links || !service) return;
  checksOwnOrigin(app);
  formFields(app);
  const render = (reply: FastifyReply, status: number, view: View) => {
    const run = view.run;
    const steps = run ? approverSteps(run, view.request) : [];
    return reply
      .code(status)
      .headers(SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(page({ ...view, steps, alertname: run?.alert.labels['alertname'] ?? '' }));
  };
  const check = async (request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) => {
    const secret = await withRedis(() => links.secret());
    const link = verifyLink(secret, request.params.token, deps.now().getTime());
    if (!link.ok) {
      await render(reply, LINK_STATUS[link.code], {
        title: 'This link is not valid',
        tone: 'bad',
        message: link.message,
      });
      return undefined;
    }
    const run = await withRedis(() => deps.store.get(link.claims.runId));
    if (!run) {
      await render(reply, 404, { title: 'Run not found', tone: 'bad', message: 'the run was deleted' });
      return undefined;
    }
    return { claims: link.claims, run, request: run.approvals?.find((a) => a.id === link.claims.requestId) };
  };
  const opts = {
    schema: { hide: true, params: { type: 'object', properties: { token: { type: 'string' } } } },
  };
  app.get<{ Params: { token: string } }>('/approvals/:token', opts, async (request, reply) => {
    const found = await check(request, reply);
    if (!found) return reply;
    const { claims, run, request: current } = found;
    const approve = claims.decision === 'approve';
    const latest = run.approvals?.at(-1);
    if (!current || current !== latest)
      return render(reply, 410, {
        title: 'This link is for an earlier request',
        tone: 'bad',
        message:
          'the run asked again since this link was made; it answers only the request it was sent for. ' +
          'Use the link of the latest request, or the console.',
        run,
        ...(latest ? { request: latest } : {}),
      });
    const open = run.status === 'awaiting_approval' && current.state === 'pending';
    const stale = open && current.stepsHash !== claims.stepsHash;
    if (!open || stale)
      return render(reply, 409, {
        title: stale ? 'The steps changed since this link was made' : 'Already answered',
        tone: 'bad',
        message: stale ? 'ask for a new link' : `this run is ${run.status}; the link cannot be used again`,
        run,
        request: current,
      });
    return render(reply, 200, {
      title: approve ? 'Approve this remediation?' : 'Deny this remediation?',
      run,
      request: current,
      form: true,
      approve,
    });
  });
  app.post<{ Params: { token: string }; Body: Record<string, string> }>(
    '/approvals/:token',
    opts,
    async (request, reply) => {
      // Any Origin but ours (garbage included) is refused as a 4xx, never parsed into a 500.
      if (!originAllowed(postSource(request.headers), deps.settings.publicUrl))
        return render(reply, 403, {
          title: 'Refused',
          tone: 'bad',
          message: 'the form was sent from another site',
        });
      const found = await check(request, reply);
      if (!found) return reply;
      const fields = request.body ?? {};
      const by = (fields['by'] ?? '').trim().slice(0, 200) || 'someone with the link';
      const comment = (fields['comment'] ?? '').trim().slice(0, 2000);
      const result = await withRedis(() =>
        service.decide({
          runId: found.claims.runId,
          requestId: found.claims.requestId,
          decision: found.claims.decision,
          by,
          via: 'link',
          stepsHash: found.claims.stepsHash,
          ...(comment ? { comment } : {}),
        }),
      );
      if (!result.ok)
        return render(reply, result.httpStatus, {
          title: REFUSED_TITLE[result.code] ?? 'Not answered',
          tone: 'bad',
          message: result.message,
          run: found.run,
        });
      const approved = found.claims.decision === 'approve';
      return render(reply, 200, {
        title: approved ? 'Approved: the run goes on' : 'Denied: the run will not go on',
        tone: approved ? 'ok' : 'bad',
        message: `recorded as ${by}`,
        run: result.run,
        ...(result.run.approvals?.at(-1) ? { request: result.run.approvals.at(-1)! } : {}),
      });
    },
  );
}
