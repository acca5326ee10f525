/**
 * Prefect's own web UI at `/prefect/` (issue 18, ADR 31): the build's files, `ui-settings` (where
 * the UI learns which API to call), and `index.html` for the UI's own paths so that deep links and
 * reloads work. The routes are open under `--auth`: they hold no data, and the UI asks for a key
 * itself once `ui-settings` says `auth: BASIC`.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServeConfig } from '../../config/schema.ts';
import type { Workspace } from '../../domain/tenancy.ts';
import { notModified } from '../conditional.ts';
import { linkOrigin } from '../link-origin.ts';
import { knownType, type PrefectUiBundle, SERVE_BASE, type UiFile } from './bundle.ts';

export interface PrefectUi {
  bundle: PrefectUiBundle;
  /** The workspace `--prefect-ui-workspace` selected, shown through its Cloud path. */
  workspace?: Workspace;
}

/** Route options: left out of the documented routes (outside `/api`, they need no key: `access.ts`). */
const OPEN = { config: { undocumented: true } };

/** Prefect's `UISettings` for the one bundle served here. */
export function uiSettings(config: ServeConfig, ui: PrefectUi, req: FastifyRequest): Record<string, unknown> {
  const ws = ui.workspace;
  const path = ws ? `/api/accounts/${ws.accountId}/workspaces/${ws.id}` : '/api';
  const { version } = ui.bundle;
  return {
    api_url: `${linkOrigin(config, req)}${path}`,
    // Sightline has no CSRF tokens: a browser's cross-site writes are refused by the browser guard.
    csrf_enabled: false,
    auth: config.auth ? 'BASIC' : null,
    flags: [],
    default_ui: version,
    available_uis: [version],
    v1_base_url: version === 'v1' ? SERVE_BASE : null,
    v2_base_url: version === 'v2' ? SERVE_BASE : null,
  };
}

function notFound(reply: FastifyReply): FastifyReply {
  reply.callNotFound();
  return reply;
}

async function send(req: FastifyRequest, reply: FastifyReply, file: UiFile): Promise<FastifyReply> {
  const fresh = notModified(req, file.etag);
  // Files without the placeholder are read when asked for; one removed since start-up (a Prefect
  // upgrade) is simply not found.
  const body = fresh ? undefined : (file.body ?? (await open(file.path).catch(() => undefined))?.createReadStream());
  if (!fresh && !body) return notFound(reply);
  reply
    .header('content-type', file.type)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('etag', file.etag)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY');
  return fresh ? reply.code(304).send() : reply.send(body);
}

/** The build's favicons by the root paths the v2 UI gives them. */
function rootFavicons(files: Map<string, UiFile>): [string, UiFile][] {
  return [...files]
    .filter(([path]) => /^\/[a-z]+\.svg$/.test(path) || /^\/ico\/favicon-\d+x\d+(-dark)?\.png$/.test(path))
    .map(([path, file]) => [path.replace(/^\/ico\//, '/'), file]);
}

export function registerPrefectUi(app: FastifyInstance, config: ServeConfig, ui: PrefectUi): void {
  const { files } = ui.bundle;
  const index = files.get('/index.html')!;
  app.route({
    method: ['GET', 'HEAD'],
    url: SERVE_BASE,
    ...OPEN,
    handler: (req, reply) => {
      const q = req.url.indexOf('?');
      return reply.redirect(`${SERVE_BASE}/${q < 0 ? '' : req.url.slice(q)}`, 307);
    },
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: `${SERVE_BASE}/ui-settings`,
    ...OPEN,
    handler: (req, reply) => reply.header('cache-control', 'no-store').send(uiSettings(config, ui, req)),
  });
  // The v2 UI sets its favicon outside its base: a run's state (`/completed.svg`), then back to
  // `/favicon-16x16.png`. Those few names are answered at the root from the build.
  for (const [url, file] of rootFavicons(files))
    app.route({ method: ['GET', 'HEAD'], url, ...OPEN, handler: (req, reply) => send(req, reply, file) });
  app.route({
    method: ['GET', 'HEAD'],
    url: `${SERVE_BASE}/*`,
    ...OPEN,
    handler: (req, reply) => {
      const raw = (req.params as { '*': string })['*'].split('?')[0];
      let path: string;
      try {
        path = `/${decodeURIComponent(raw)}`;
      } catch {
        return notFound(reply);
      }
      const file = files.get(path === '/' ? '/index.html' : path) ?? files.get(`/ico${path}`);
      if (file) return send(req, reply, file);
      // The UI's own pages are index.html; a missing script or image is not (a stale page would
      // get HTML for its script).
      if (path.startsWith('/assets/') || knownType(extname(path))) return notFound(reply);
      return send(req, reply, index);
    },
  });
}
