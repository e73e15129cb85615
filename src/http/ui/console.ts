import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.ts';
import { approvalsPages } from './approvals-pages.ts';
import { createConsoleContext } from './console-context.ts';
import { installGuard } from './guard.ts';
import { loginRoutes } from './login-routes.ts';
import { pausesPages } from './pauses-pages.ts';
import { loadTemplates } from './render.ts';
import { runsPages } from './runs-pages.ts';
import { deriveKeys } from './session.ts';
import { loadStatic } from './static.ts';
import { targetsPage } from './targets-page.ts';

/** Forms are small: a pause's matchers and comment, a deny reason. */
const FORM_LIMIT = 64 * 1024;

/**
 * The operator console under /ui: server-rendered pages (runs, run detail, approvals, targets,
 * pauses) behind the operator token, with CSRF-checked forms. Templates and static files are read
 * and compiled here, once. Registered as one plugin: its form parser, hooks and error page stay
 * inside it and change nothing for the API. Hidden from the OpenAPI document (it is not an API).
 */
export async function consoleRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const [render, assets] = await Promise.all([loadTemplates(), loadStatic()]);
  const ctx = createConsoleContext({
    deps,
    keys: deriveKeys(deps.settings.operatorToken),
    render,
    assets: assets.urls,
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_LIMIT },
    (_request, body, done) => done(null, formFields(body as string)),
  );
  installGuard(app, ctx);
  assets.routes(app);
  loginRoutes(app, ctx);
  runsPages(app, ctx);
  approvalsPages(app, ctx);
  targetsPage(app, ctx);
  pausesPages(app, ctx);
}

/** A urlencoded form as name -> value (the last value of a repeated name), in an object without a prototype. */
function formFields(body: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(body)) out[name] = value;
  return out;
}
