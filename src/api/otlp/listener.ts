/**
 * `--otlp-port`: a listener that serves only OTLP (`/v1/traces`, `/v1/logs`, `/v1/metrics` at its
 * root, for the default workspace), where exporters look by default. The same door as the native
 * API: keys under `--auth`, rate limits, the browser guard.
 */
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import type { Services } from '../../ops/context.ts';
import { registerAccess } from '../access.ts';
import { sendError } from '../errors.ts';
import { clientErrorHandler, createListener } from '../http-listener.ts';
import { redacted } from '../log-redaction.ts';
import { registerOtlp } from './routes.ts';

const listenerError = (message: string) => ({ code: 3, message });

export async function buildOtlpListener(services: Services, logger?: boolean | object): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: redacted(logger),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
    frameworkErrors: (err, req, reply) => sendError(err, req, reply),
    serverFactory: (handler) => createListener(config, listenerError, handler),
    clientErrorHandler: clientErrorHandler(config, listenerError),
  });
  registerAccess(app, services);
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) =>
    sendError(
      new AppError('route_not_found', 'Not Found: this port serves /v1/traces, /v1/logs and /v1/metrics'),
      req,
      reply,
    ),
  );
  await registerOtlp(app, services, [{ prefix: '', family: 'oss' }]);
  return app;
}
