import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.ts';
import { serializeCookie } from './cookies.ts';
import { csrfToken } from './csrf.ts';
import type { LayoutView, Renderer } from './render.ts';
import { signSession, type ConsoleKeys, type Session } from './session.ts';
import { COOKIE, type Visitor } from './visitor.ts';

export type NavKey = 'runs' | 'approvals' | 'targets' | 'pauses';

const NAV: ReadonlyArray<{ key: NavKey; href: string; label: string }> = [
  { key: 'runs', href: '/ui/runs', label: 'Runs' },
  { key: 'approvals', href: '/ui/approvals', label: 'Approvals' },
  { key: 'targets', href: '/ui/targets', label: 'Targets' },
  { key: 'pauses', href: '/ui/pauses', label: 'Pauses' },
];

export interface PageFrame {
  readonly title: string;
  readonly nav?: NavKey;
  /** @defaultValue 200 */
  readonly status?: number;
  readonly notice?: string;
  readonly error?: string;
}

/** What every console route gets: the app's deps, the keys, the templates, and who is asking. */
export interface ConsoleContext {
  readonly deps: AppDeps;
  readonly keys: ConsoleKeys;
  /**
   * No operator token: the console is open to anyone (and says so). main.ts always passes one
   * (configured or generated); only an app built without one, in tests, is open.
   */
  readonly open: boolean;
  now(): number;
  /** The visitor the guard found or made for this request (every page and form has one). */
  visitor(request: FastifyRequest): Visitor;
  setVisitor(request: FastifyRequest, visitor: Visitor): void;
  /** Whether the guard has seen this request (error handlers may run before it did). */
  knows(request: FastifyRequest): boolean;
  /** Renders a page inside the layout and sends it. */
  page(
    request: FastifyRequest,
    reply: FastifyReply,
    name: string,
    view: object,
    frame: PageFrame,
  ): FastifyReply;
  /** Sends one partial alone (live refresh). */
  fragment(reply: FastifyReply, name: string, view: object): FastifyReply;
  /** The CSRF token forms on this request's pages carry. */
  csrf(request: FastifyRequest): string;
  setSession(request: FastifyRequest, reply: FastifyReply, session: Session): void;
  clearSession(request: FastifyRequest, reply: FastifyReply): void;
}

export interface ConsoleParts {
  readonly deps: AppDeps;
  readonly keys: ConsoleKeys;
  readonly render: Renderer;
  /** Versioned URLs of the stylesheet and the script. */
  readonly assets: { readonly css: string; readonly js: string; readonly icon: string };
}

export function createConsoleContext(parts: ConsoleParts): ConsoleContext {
  const { deps, keys, render, assets } = parts;
  const visitors = new WeakMap<FastifyRequest, Visitor>();
  const open = deps.settings.operatorToken === undefined;
  const visitor = (request: FastifyRequest): Visitor => {
    const found = visitors.get(request);
    if (!found) throw new Error(`console: no visitor for ${request.url} (guard not run)`);
    return found;
  };
  const csrf = (request: FastifyRequest) => csrfToken(visitor(request).sid, keys.csrf);
  // Secure cookies when the browser talks https to us or to the proxy in front (PUBLIC_URL).
  const secure = (request: FastifyRequest) =>
    request.protocol === 'https' || (deps.settings.publicUrl ?? '').startsWith('https:');
  const cookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) =>
    reply.header(
      'set-cookie',
      serializeCookie(COOKIE, value, { maxAgeS, path: '/ui', secure: secure(request) }),
    );
  return {
    deps,
    keys,
    open,
    now: () => deps.now().getTime(),
    visitor,
    setVisitor: (request, v) => void visitors.set(request, v),
    knows: (request) => visitors.has(request),
    csrf,
    page(request, reply, name, view, frame) {
      const who = visitor(request);
      const layout: LayoutView = {
        title: frame.title,
        nav: who.name === undefined ? [] : NAV.map((n) => ({ ...n, current: n.key === frame.nav })),
        ...(who.name === undefined ? {} : { operator: who.name }),
        canLogout: !open && who.via === 'session',
        open,
        csrf: csrf(request),
        ...(frame.notice === undefined ? {} : { notice: frame.notice }),
        ...(frame.error === undefined ? {} : { error: frame.error }),
        assets,
      };
      return (
        reply
          .code(frame.status ?? 200)
          .type('text/html; charset=utf-8')
          // Every page may use {{csrf}} in its forms.
          .send(render.page(name, { csrf: layout.csrf, ...view }, layout))
      );
    },
    fragment: (reply, name, view) => reply.type('text/html; charset=utf-8').send(render.fragment(name, view)),
    setSession(request, reply, session) {
      cookie(
        request,
        reply,
        signSession(session, keys.session),
        Math.round((session.exp - deps.now().getTime()) / 1000),
      );
    },
    clearSession: (request, reply) => void cookie(request, reply, '', 0),
  };
}
