import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.ts';
import { checksOwnOrigin } from '../cross-site.ts';
import { formFields } from '../form-body.ts';
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
  checksOwnOrigin(app);
  formFields(app);
  installGuard(app, ctx);
  assets.routes(app);
  loginRoutes(app, ctx);
  runsPages(app, ctx);
  approvalsPages(app, ctx);
  targetsPage(app, ctx);
  pausesPages(app, ctx);
}
