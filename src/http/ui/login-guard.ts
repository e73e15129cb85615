import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteFailure, refuseThrottled, type GateDeps } from '../auth-gate.ts';
import { withRedis } from '../redis-guard.ts';
import type { ConsoleContext } from './console-context.ts';
import type { Visitor } from './visitor.ts';

const gate = (ctx: ConsoleContext): GateDeps => ({
  logins: ctx.deps.authStores.logins,
  metrics: ctx.deps.metrics,
});

/** Does this request try credentials (the login form's token, or Basic/Bearer on a page)? */
export function triesCredentials(request: FastifyRequest): boolean {
  if (request.headers.authorization !== undefined) return true;
  return request.method === 'POST' && request.routeOptions.url === '/ui/login';
}

/**
 * A client address that failed too often gets a 429 page (Retry-After) for every try until its block
 * ends; answers true when it did. Only with an operator token (open: there is nothing to guess).
 */
export async function refuseThrottledLogin(
  ctx: ConsoleContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  if (ctx.open || !triesCredentials(request)) return false;
  return refuseThrottled(gate(ctx), 'console', request, (retryAfterS) =>
    ctx.page(
      request,
      reply.header('retry-after', String(retryAfterS)),
      'error',
      { heading: 'Too many failed logins' },
      {
        title: 'Too many failed logins',
        status: 429,
        error: `Too many wrong tokens came from your address. Try again in ${retryAfterS} s.`,
      },
    ),
  );
}

/** A wrong token on the login form or in Basic/Bearer: counted per address (and maybe blocked). */
export async function noteConsoleFailure(ctx: ConsoleContext, request: FastifyRequest): Promise<void> {
  await noteFailure(gate(ctx), 'console', request);
}

/**
 * The cookie's login counts only while its session id is stored (Redis, with the session's expiry):
 * logout deletes it, so a copied cookie stops working at once. Open consoles keep no logins.
 */
export async function liveSession(
  ctx: ConsoleContext,
  who: Visitor | undefined,
): Promise<Visitor | undefined> {
  if (ctx.open || who?.via !== 'session' || who.session?.user === undefined) return who;
  const live = await withRedis(() => ctx.deps.authStores.sessions.active(who.sid));
  return live ? who : undefined;
}
