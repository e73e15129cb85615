import type { FastifyInstance } from 'fastify';
import { matchesSecret } from '../auth.ts';
import type { ConsoleContext } from './console-context.ts';
import { withRedis } from '../redis-guard.ts';
import { noteConsoleFailure } from './login-guard.ts';
import { newSession, SESSION_TTL_MS } from './session.ts';
import { operatorName } from './visitor.ts';

type Form = Record<string, string | undefined>;

const HIDDEN = { hide: true };

/**
 * Where to go after logging in: a console path only (`/ui...`), never another site (`//evil`,
 * `/\evil`, `https://...`), so the login form cannot be used as an open redirect.
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined || !/^\/ui(?:[/?#]|$)/.test(next)) return '/ui/runs';
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(next) || next.includes('//')) return '/ui/runs';
  return next;
}

/** GET/POST /ui/login (the operator token, and a name for the audit trail), POST /ui/logout, GET /ui. */
export function loginRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const token = ctx.deps.settings.operatorToken;
  const loginPage = (next: string, name: string) => ({
    next: safeNext(next),
    name,
    needsToken: token !== undefined,
  });
  app.get('/ui', { schema: HIDDEN }, async (_request, reply) => reply.redirect('/ui/runs', 303));
  app.get<{ Querystring: { next?: string } }>(
    '/ui/login',
    { schema: HIDDEN, config: { access: 'login' } },
    async (request, reply) => {
      const who = ctx.visitor(request);
      return ctx.page(request, reply, 'login', loginPage(request.query.next ?? '', who.name ?? ''), {
        title: 'Log in',
        ...(who.name !== undefined && token !== undefined
          ? { notice: `You are logged in as ${who.name}. Log in again to change the name.` }
          : {}),
      });
    },
  );
  app.post<{ Body: Form }>(
    '/ui/login',
    { schema: HIDDEN, config: { access: 'login' } },
    async (request, reply) => {
      const form = request.body ?? {};
      const name = operatorName(form['name']);
      if (token !== undefined && !matchesSecret(form['token'] ?? '', token)) {
        request.log.warn({ name }, 'console: login with a wrong token');
        await noteConsoleFailure(ctx, request);
        return ctx.page(request, reply, 'login', loginPage(form['next'] ?? '', form['name'] ?? ''), {
          title: 'Log in',
          status: 401,
          error: 'That token is not the operator token. Check REMEDIATOR_OPERATOR_TOKEN and try again.',
        });
      }
      // A new session id on login: a visit's id (and its CSRF token) is never a logged-in one.
      const session = newSession(ctx.now(), name);
      // Stored server-side (with a token): the cookie counts only while this record lives.
      if (token !== undefined)
        await withRedis(() => ctx.deps.authStores.sessions.start(session.sid, SESSION_TTL_MS));
      ctx.setSession(request, reply, session);
      request.log.info({ operator: name }, 'console: operator logged in');
      return reply.redirect(safeNext(form['next']), 303);
    },
  );
  app.post('/ui/logout', { schema: HIDDEN, config: { access: 'login' } }, async (request, reply) => {
    const who = ctx.visitor(request);
    // Revoked on the server: a copy of the cookie (another tab, a stolen one) no longer counts either.
    if (who.via === 'session') await withRedis(() => ctx.deps.authStores.sessions.end(who.sid));
    ctx.clearSession(request, reply);
    return reply.redirect('/ui/login', 303);
  });
}
