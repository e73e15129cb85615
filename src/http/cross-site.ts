import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originAllowed, type PostSource } from './ui/csrf.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's plugin refuses cross-site writes itself, with a page of its own (the console, the
     * approval link page). @defaultValue false
     */
    ownOriginCheck?: boolean;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function postSource(headers: FastifyRequest['headers']): PostSource {
  const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return { origin: one(headers.origin), fetchSite: one(headers['sec-fetch-site']), host: one(headers.host) };
}

/**
 * No write from another site, in any mode, on any route: a browser that says the request came from
 * another site (Sec-Fetch-Site), or names another origin (Origin), is refused 403 before
 * authentication or parsing. Alertmanager, Slack, curl and the CLI send neither header, so they pass.
 * Installed on the root instance, so a route added later is covered without thinking of it.
 */
export function refuseCrossSiteWrites(app: FastifyInstance, publicUrl: string | undefined): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (READS.has(request.method) || request.routeOptions.config.ownOriginCheck) return;
    if (originAllowed(postSource(request.headers), publicUrl)) return;
    request.log.warn(
      { origin: request.headers.origin, fetchSite: request.headers['sec-fetch-site'], url: request.url },
      'cross-site write refused',
    );
    return reply.code(403).send({
      error: 'cross_site',
      message: 'refused: this request came from another site (Origin / Sec-Fetch-Site)',
    });
  });
}

/** Marks every route of the calling plugin as checking origins itself (see `ownOriginCheck`). */
export function checksOwnOrigin(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), ownOriginCheck: true };
  });
}
