/** Builds the native API (Fastify): parsers, conventions, error mapping and every route. */
import compress from '@fastify/compress';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { parseJsonText } from '../domain/json-text.ts';
import type { Services } from '../ops/context.ts';
import { registerAccess } from './access.ts';
import { registerDocsPage } from './docs-page.ts';
import { sendError } from './errors.ts';
import { clientErrorHandler, createListener, overBodyLimit } from './http-listener.ts';
import { redacted } from './log-redaction.ts';
import { registerMetrics, type ServerMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { API_OTLP_PREFIXES, registerOtlp } from './otlp/routes.ts';
import { type PrefectUi, registerPrefectUi } from './prefect-ui/routes.ts';
import { registerFixedRoutes, registerRoutes } from './router.ts';
import { apiRoutes, fixedRoutes, wsRoutes } from './routes/index.ts';
import { trackRoutes } from './served-routes.ts';
import { registerWebUi } from './web-ui.ts';
import { registerWebSockets } from './websocket.ts';

const MIN_API_VERSION = [0, 8, 0];

/** Prefect's `X-PREFECT-API-VERSION` rule: absent = latest; malformed or below 0.8.0 = 400. */
function checkApiVersion(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const v = Array.isArray(header) ? header[0] : header;
  if (!/^\d+\.\d+\.\d+$/.test(v)) {
    return `Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received ${v}`;
  }
  const parts = v.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (parts[i] > MIN_API_VERSION[i]) return undefined;
    if (parts[i] < MIN_API_VERSION[i]) {
      return `The request specified API version ${v} but this server requires version ${MIN_API_VERSION.join('.')} or higher.`;
    }
  }
  return undefined;
}

const apiError = (detail: string) => ({ detail });

export async function buildApi(
  services: Services,
  opts: { logger?: boolean | object; prefectUi?: PrefectUi; metrics?: ServerMetrics } = {},
): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: redacted(opts.logger),
    bodyLimit: config['max-body'],
    // One line per request would dominate the log under ingest load; errors are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 500 },
    forceCloseConnections: true,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a path parameter over 500 characters, bad escapes in
    // the path) get the same error bodies as everything else.
    frameworkErrors: (err, req, reply) => sendError(err, req, reply),
    serverFactory: (handler) => createListener(config, apiError, handler),
    clientErrorHandler: clientErrorHandler(config, apiError),
  });

  // Every body is parsed as JSON: the listener (browser-guard.ts) has already answered 415 to any
  // other declared type, and Prefect treats a body without a content type as JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonText(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Responses only: like Prefect, request bodies are never decompressed (a gzip body is not JSON →
  // 422). Decompressing them also stalled a keep-alive connection after a GET that carried one.
  await app.register(compress, { threshold: 500, encodings: ['gzip'], globalDecompression: false });
  if (config['cors-origin'].length) await app.register(cors, { origin: [...config['cors-origin']] });

  // First: the answers of every later hook (access, API version) are counted too.
  opts.metrics?.instrument(app);
  registerAccess(app, services);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api')) return;
    const problem = checkApiVersion(req.headers['x-prefect-api-version']);
    if (problem) return reply.code(400).send({ detail: problem });
  });

  trackRoutes(app);
  app.setErrorHandler((err, req, reply) => sendError(overBodyLimit(err, reply, config['max-body']) ?? err, req, reply));
  app.setNotFoundHandler((req, reply) => sendError(new AppError('route_not_found', 'Not Found'), req, reply));

  registerRoutes(app, services, apiRoutes);
  registerFixedRoutes(app, services, fixedRoutes);
  await registerOtlp(app, services, API_OTLP_PREFIXES);
  registerWebSockets(app, services, wsRoutes, opts.metrics);
  if (opts.metrics) registerMetrics(app, opts.metrics);

  const openapi = buildOpenApi(apiRoutes, fixedRoutes);
  const undocumented = { config: { undocumented: true } };
  app.get('/api/openapi.json', undocumented, async () => openapi);
  registerDocsPage(app, undocumented);
  if (opts.prefectUi) registerPrefectUi(app, config, opts.prefectUi);
  if (!config['no-ui']) registerWebUi(app);
  return app;
}
