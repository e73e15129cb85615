import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

export const STATIC_DIR = new URL('./static/', import.meta.url);

const FILES = {
  css: ['console.css', 'text/css; charset=utf-8'],
  js: ['console.js', 'text/javascript; charset=utf-8'],
  icon: ['icon.svg', 'image/svg+xml'],
} as const;

export interface StaticAssets {
  /** URLs with a content hash, so a browser never mixes an old script with a new page. */
  readonly urls: { readonly css: string; readonly js: string; readonly icon: string };
  /** Adds GET /ui/static/console.css, console.js and icon.svg (no login needed: they hold nothing secret). */
  routes(app: FastifyInstance): void;
}

/** Reads the console's one stylesheet, one script and its icon once, at start-up. */
export async function loadStatic(dir: URL = STATIC_DIR): Promise<StaticAssets> {
  const loaded = await Promise.all(
    Object.entries(FILES).map(async ([key, [file, type]]) => {
      const body = await readFile(new URL(file, dir));
      const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
      return { key, file, type, body, url: `/ui/static/${file}?v=${version}` };
    }),
  );
  const url = (key: string) => loaded.find((f) => f.key === key)!.url;
  return {
    urls: { css: url('css'), js: url('js'), icon: url('icon') },
    routes(app) {
      for (const { file, type, body } of loaded) {
        app.get(
          `/ui/static/${file}`,
          { schema: { hide: true }, config: { access: 'static' } },
          async (_request, reply) =>
            reply.type(type).header('cache-control', 'public, max-age=86400').send(body),
        );
      }
    },
  };
}
