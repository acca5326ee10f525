/**
 * Serves Sightline's web UI (built by `npm run build:ui` into `dist/ui`) at `/` on the native
 * port: hashed assets cached for good, `index.html` revalidated, gzip files sent when the browser
 * takes them, and the app itself for any other path outside `/api` so deep links work. Nothing
 * comes from another origin: the Content-Security-Policy allows only this server.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the build lands, from the source tree (`src/api`) and from the package (`dist/api`) alike. */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** No inline script, no other origin; styles may be set by the app's own code (uPlot sizes). */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  immutable: boolean;
}

/** Every file of the build, read once at start-up (a few hundred kilobytes). */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (!name.endsWith('.gz')) {
        const path = `/${relative(dir, file).split('\\').join('/')}`;
        assets.set(path, {
          body: readFileSync(file),
          gzip: existsSync(`${file}.gz`) ? readFileSync(`${file}.gz`) : undefined,
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          // Vite names what it emits under assets/ by content hash; other files keep their names.
          immutable: path.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return assets;
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply
    .header('content-type', a.type)
    .header('cache-control', a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('content-security-policy', UI_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('vary', 'accept-encoding');
  if (a.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    // Already compressed: the compression plugin leaves a response with an encoding alone.
    return reply.header('content-encoding', 'gzip').send(a.gzip);
  }
  return reply.send(a.body);
}

/**
 * Registers the UI's routes (GET and HEAD of every path outside `/api`). Without a build the
 * pages answer 503 naming the command that builds it, rather than a blank page.
 */
export function registerWebUi(app: FastifyInstance, dir = UI_DIR): void {
  const assets = existsSync(join(dir, 'index.html')) ? loadAssets(dir) : undefined;
  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    config: { undocumented: true },
    handler: async (req, reply) => {
      const path = decodeURIComponent(req.url.split('?')[0]);
      if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
      if (!assets)
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`Sightline's web UI is not built here: run \`npm run build:ui\` (or start with --no-ui).\n`);
      const asset = assets.get(path);
      if (asset) return send(req, reply, asset);
      // A missing hashed asset is an error, not the app (a stale page would load HTML as script).
      if (path.startsWith('/assets/') || extname(path) !== '') return reply.callNotFound();
      return send(req, reply, assets.get('/index.html')!);
    },
  });
}
