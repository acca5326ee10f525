/**
 * `/api/docs`: Swagger UI over `/api/openapi.json`, every file of it served by this server from
 * the `swagger-ui-dist` package (no CDN: the page works offline and behind a firewall). The page
 * loads only the files of the allow-list below, under `/api/docs/`; its start-up script is a file
 * too, not inline. Under `--auth` these follow the rule of `/api/openapi.json` (src/api/access.ts:
 * a valid key of any scope).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { AppError } from '../domain/errors.ts';

const DIST = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The renderer's files the page uses, by name, with their types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  defaultModelRendering: 'model',
  showExtensions: true,
});
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sightline API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"><link rel="icon" href="/api/docs/favicon-32x32.png"></head>
<body><div id="docs"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script>
</body></html>
`;

/** A day: the files change only with the package (the page itself is not cached). */
const ASSET_CACHE = 'public, max-age=86400';

export function registerDocsPage(app: FastifyInstance, options: RouteShorthandOptions): void {
  const files = new Map<string, Buffer>();
  app.get('/api/docs', options, async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/api/docs/init.js', options, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(INIT_JS),
  );
  app.get<{ Params: { file: string } }>('/api/docs/:file', options, async (req, reply) => {
    const { file } = req.params;
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) throw new AppError('route_not_found', 'Not Found');
    let body = files.get(file);
    if (!body) {
      body = readFileSync(join(DIST, file));
      files.set(file, body);
    }
    return reply.type(type).header('cache-control', ASSET_CACHE).send(body);
  });
}
