import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import pkg from '../../package.json' with { type: 'json' };
import type { AppDeps } from '../app.ts';
import { operatorGate } from './auth-gate.ts';

/**
 * OpenAPI 3 description of every route, built by @fastify/swagger from the routes' own schemas, so
 * the document cannot drift from what is validated. The UI at /docs (JSON at /docs/json) is served
 * from the files in the @fastify/swagger-ui package: nothing is fetched from the network.
 * Must be registered before the routes: it collects them with an onRoute hook. With
 * REMEDIATOR_PROTECT_DOCS the UI and its JSON need the operator token.
 */
export async function registerDocs(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'remediator',
        version: pkg.version,
        description: 'Alertmanager webhook -> YAML runbooks -> SSH/HTTP steps.',
      },
      tags: [
        { name: 'webhook', description: 'Alertmanager notifications' },
        { name: 'runs', description: 'Run records and audit events (operator token)' },
        { name: 'pauses', description: 'Operator pauses (operator token)' },
        { name: 'ops', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          // The webhook takes the Alertmanager secret, /api/v1/* the operator token; both as Bearer.
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // No call to the public validator service (it would leak the spec and needs the network).
    uiConfig: { validatorUrl: null },
    // REMEDIATOR_PROTECT_DOCS: the UI and the JSON need the operator token (reads included).
    ...(deps.settings.protectDocs
      ? {
          uiHooks: { onRequest: operatorGate({ ...deps, settings: { ...deps.settings, openReads: false } }) },
        }
      : {}),
  });
}
