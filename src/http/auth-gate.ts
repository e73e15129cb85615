import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthKind } from '../record/auth-metrics.ts';
import type { Metrics } from '../record/metrics.ts';
import type { LoginThrottle } from '../stores/auth-stores.ts';
import { challenge, isAuthorized, type Credentials } from './auth.ts';
import { clientBlock } from './client-block.ts';
import { withRedis } from './redis-guard.ts';

export interface GateDeps {
  readonly logins: LoginThrottle;
  readonly metrics: Pick<Metrics, 'authFailures' | 'authThrottled'>;
}

/**
 * Before a credential is looked at: is this client address blocked for failing too often? Then
 * every request of it is answered 429 with Retry-After, right credentials included (otherwise the
 * block would still tell a guesser which guess was right, at full speed). Answers true when it refused.
 */
export async function refuseThrottled(
  deps: GateDeps,
  kind: AuthKind,
  request: FastifyRequest,
  send: (retryAfterS: number) => unknown,
): Promise<boolean> {
  const ms = await withRedis(() => deps.logins.blockedFor(clientBlock(request.ip)));
  if (ms <= 0) return false;
  deps.metrics.authThrottled.labels(kind).inc();
  await send(Math.ceil(ms / 1000));
  return true;
}

/** Counts a failed login of this client address (which may block it) and in the metrics. */
export async function noteFailure(deps: GateDeps, kind: AuthKind, request: FastifyRequest): Promise<void> {
  deps.metrics.authFailures.labels(kind).inc();
  const blockedMs = await withRedis(() => deps.logins.failed(clientBlock(request.ip)));
  if (blockedMs > 0)
    request.log.warn(
      { client: request.ip, block: clientBlock(request.ip), kind, blockedMs, security: 'login-throttle' },
      'too many failed logins from this address: blocked for a while',
    );
}

/** The 429 every throttled API and webhook request gets. */
export function tooMany(reply: FastifyReply, retryAfterS: number) {
  return reply
    .code(429)
    .header('retry-after', String(retryAfterS))
    .send({
      error: 'too_many_failures',
      message: `too many failed logins from this address: try again in ${retryAfterS} s`,
    });
}

/**
 * An onRequest hook requiring `creds` (the operator token on /api/v1, the webhook's credentials on
 * the webhook), with failed tries counted and throttled per client address. Nothing configured:
 * every request passes (start-up warns about it).
 */
export function credentialGate(creds: Credentials, kind: AuthKind, deps: GateDeps, message: string) {
  const open = creds.token === undefined && creds.basic === undefined;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (open) return;
    if (await refuseThrottled(deps, kind, request, (s) => tooMany(reply, s))) return reply;
    if (isAuthorized(request.headers.authorization, creds)) return;
    await noteFailure(deps, kind, request);
    reply.header('www-authenticate', challenge(creds));
    return reply.code(401).send({ error: 'unauthorized', message });
  };
}

/** The operator token's gate on /api/v1 (runs, events, pauses, approvals); reads pass when `openReads`. */
export function operatorGate(deps: {
  readonly settings: {
    readonly operatorToken?: string;
    readonly openReads?: boolean;
    readonly publicUrl?: string;
  };
  readonly authStores: { readonly logins: LoginThrottle };
  readonly metrics: GateDeps['metrics'];
}) {
  const token = deps.settings.operatorToken;
  const gate = credentialGate(
    token === undefined ? {} : { token },
    'api',
    { logins: deps.authStores.logins, metrics: deps.metrics },
    'send the operator token as a Bearer token (REMEDIATOR_OPERATOR_TOKEN, or the file the start-up log names)',
  );
  if (!deps.settings.openReads) return gate;
  const publicHost = deps.settings.publicUrl ? new URL(deps.settings.publicUrl).hostname : undefined;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const read = request.method === 'GET' || request.method === 'HEAD';
    if (read && notRebindable(request.hostname, publicHost)) return;
    return gate(request, reply);
  };
}

/**
 * Open reads only under a name no other site can point at us: an IP literal, `localhost`, or the
 * public URL's host. DNS rebinding needs a DNS name the attacker controls (`evil.example` resolving
 * to 127.0.0.1), so a page there reading our runs through the operator's browser needs the token.
 */
export function notRebindable(hostname: string, publicHost: string | undefined): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name === publicHost?.toLowerCase()) return true;
  return isIP(name) !== 0;
}
