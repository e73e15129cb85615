import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RemediatorError } from '../../errors.ts';
import type { ConsoleContext } from './console-context.ts';
import { postSource } from '../cross-site.ts';
import { csrfValid, originAllowed } from './csrf.ts';
import { liveSession, noteConsoleFailure, refuseThrottledLogin } from './login-guard.ts';
import { newSession } from './session.ts';
import { DEFAULT_OPERATOR, readVisitor, type Visitor } from './visitor.ts';

/** Who may reach a console route: anyone (static files), visitors (login), or operators (the rest). */
export type Access = 'static' | 'login' | 'operator';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Console routes: who may reach it. @defaultValue 'operator' */
    access?: Access;
  }
}

/**
 * No script but ours (no inline script, no eval), no styles but ours, no framing, forms post only to
 * us, and no Referer leaks run ids or filters to other sites.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const NOBODY: Visitor = { sid: 'none', via: 'visit' };

export function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config.access ?? 'operator';
}

/**
 * The console's gate, on every console route: security headers; who is asking (operator token as a
 * session cookie, Basic or Bearer; everyone when no token is set); a visitor cookie for the login form;
 * login required for operator pages (GET redirects to the login form, anything else gets 401); POSTs
 * from another origin refused (403); and every POST's CSRF token checked once the form is parsed (403).
 */
export function installGuard(app: FastifyInstance, ctx: ConsoleContext): void {
  const token = ctx.deps.settings.operatorToken;
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    const access = accessOf(request);
    if (access === 'static') return;
    reply.header('cache-control', 'no-store');
    ctx.setVisitor(request, NOBODY);
    if (await refuseThrottledLogin(ctx, request, reply)) return reply;
    let who = await liveSession(ctx, readVisitor(request.headers, token, ctx.keys, ctx.now()));
    // Basic or Bearer that did not let them in: a wrong token, counted like a wrong login.
    if (
      !ctx.open &&
      request.headers.authorization !== undefined &&
      who?.via !== 'basic' &&
      who?.via !== 'bearer'
    )
      await noteConsoleFailure(ctx, request);
    if (!who && (access === 'login' || ctx.open)) who = startVisit(ctx, request, reply);
    ctx.setVisitor(request, who ?? NOBODY);
    if (access === 'operator' && who?.name === undefined) return refuseAnonymous(ctx, request, reply);
    if (
      request.method === 'POST' &&
      !originAllowed(postSource(request.headers), ctx.deps.settings.publicUrl)
    ) {
      request.log.warn(
        { origin: request.headers.origin, fetchSite: request.headers['sec-fetch-site'], url: request.url },
        'console: cross-origin POST refused',
      );
      return ctx.page(
        request,
        reply,
        'error',
        { heading: 'Refused' },
        {
          title: 'Refused',
          status: 403,
          error: 'This form was sent from another site, so it was refused. Use the console itself.',
        },
      );
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || accessOf(request) === 'static') return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (csrfValid(body['csrf'], ctx.visitor(request).sid, ctx.keys.csrf)) return;
    request.log.warn({ url: request.url }, 'console: POST without a valid CSRF token refused');
    return ctx.page(
      request,
      reply,
      'error',
      { heading: 'Refused' },
      {
        title: 'Refused',
        status: 403,
        error: 'The form’s security token is missing or out of date. Reload the page and try again.',
      },
    );
  });
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (!ctx.knows(request)) ctx.setVisitor(request, NOBODY);
    const unavailable = error instanceof RemediatorError && error.retryable;
    const status = unavailable ? 503 : (error.statusCode ?? 500);
    if (status >= 500 && !unavailable) request.log.error({ err: error }, 'console page failed');
    const message = unavailable
      ? 'Redis is unavailable right now, so nothing could be read or changed. Try again in a moment.'
      : status >= 500
        ? 'Something went wrong on our side; the log has the details.'
        : error.message;
    return ctx.page(
      request,
      reply,
      'error',
      { heading: `Error ${status}` },
      { title: 'Error', status, error: message },
    );
  });
}

/** A visitor without a valid cookie: a short visit session (for the login form), or a login when open. */
function startVisit(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Visitor {
  const session = newSession(ctx.now(), ctx.open ? DEFAULT_OPERATOR : undefined);
  ctx.setSession(request, reply, session);
  return session.user === undefined
    ? { sid: session.sid, via: 'visit', session }
    : { sid: session.sid, name: session.user, via: 'session', session };
}

function refuseAnonymous(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply) {
  if (request.method === 'GET' || request.method === 'HEAD')
    return reply.redirect(`/ui/login?next=${encodeURIComponent(request.url)}`, 303);
  return ctx.page(
    request,
    reply,
    'error',
    { heading: 'Log in first', login: true },
    {
      title: 'Log in',
      status: 401,
      error: 'Your session has ended or you are not logged in. Log in and send the form again.',
    },
  );
}
