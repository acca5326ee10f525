/**
 * OTLP/HTTP ingest: `POST …/otlp/v1/{traces,logs,metrics}` on both path families of the native
 * API, and `/v1/…` at the root of `--otlp-port` for the default workspace. The routes live in a
 * Fastify scope of their own that reads bodies as bytes (protobuf, or JSON decoded here) and
 * answers errors as OTLP does: a `google.rpc.Status` in the request's content type for a body it
 * cannot decode (400), 413 past `--otlp-max-body`. Keys, rate limits and the browser guard apply
 * as on every route (the app's hooks and listener).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.ts';
import type { OtlpExport, OtlpSignal, PartialSuccess } from '../../domain/otlp/model.ts';
import type { Services } from '../../ops/context.ts';
import { exportItems, receiveExport } from '../../ops/otlp/receive-export.ts';
import { writingItems } from '../access.ts';
import { sendError } from '../errors.ts';
import { CLOUD_PREFIX, registerMethodNotAllowed, WorkspaceResolver } from '../router.ts';
import {
  isGzip,
  OTLP_CONTENT_TYPES,
  type OtlpEncoding,
  otlpEncodingOf,
  readOtlpBody,
  unsupportedType,
} from './body.ts';
import { OtlpDecodeError } from './decode-error.ts';
import { decodeOtlpJson } from './json-decode.ts';
import { decodeOtlpProtobuf, encodeExportResponse, encodeStatus } from './proto-decode.ts';

const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];

/** google.rpc.Code INVALID_ARGUMENT. */
const INVALID_ARGUMENT = 3;

/** What the body parser hands the handler. */
interface OtlpBody {
  encoding: OtlpEncoding;
  bytes: Buffer;
}

const REJECTED_KEY: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
};

function decode(signal: OtlpSignal, body: OtlpBody): OtlpExport {
  if (body.encoding === 'protobuf') return decodeOtlpProtobuf(signal, body.bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.bytes.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`The body is not valid JSON: ${(err as Error).message}`);
  }
  return decodeOtlpJson(signal, parsed);
}

function sendExportResponse(reply: FastifyReply, signal: OtlpSignal, encoding: OtlpEncoding, p?: PartialSuccess) {
  reply.code(200).type(OTLP_CONTENT_TYPES[encoding]);
  if (encoding === 'protobuf') return reply.send(Buffer.from(encodeExportResponse(signal, p)));
  const body = p ? { partialSuccess: { [REJECTED_KEY[signal]]: p.rejected, errorMessage: p.errorMessage } } : {};
  return reply.send(JSON.stringify(body));
}

/** OTLP's error answer: `google.rpc.Status` in the request's encoding (JSON when it has none we read). */
function sendStatus(req: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  const encoding = otlpEncodingOf(req.headers['content-type']) ?? 'json';
  reply.code(status).type(OTLP_CONTENT_TYPES[encoding]);
  if (encoding === 'protobuf') return reply.send(Buffer.from(encodeStatus(INVALID_ARGUMENT, message)));
  return reply.send(JSON.stringify({ code: INVALID_ARGUMENT, message }));
}

/**
 * Registers the OTLP routes on `app`: `paths` maps each served URL prefix (ending before `/v1`) to
 * the path family whose workspace it addresses.
 */
export async function registerOtlp(
  app: FastifyInstance,
  services: Services,
  prefixes: { prefix: string; family: 'oss' | 'cloud' }[],
): Promise<void> {
  const limit = services.config['otlp-max-body'];
  const resolver = new WorkspaceResolver(services);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req, payload, done) => {
      const encoding = otlpEncodingOf(req.headers['content-type']);
      if (!encoding) {
        payload.resume();
        return done(unsupportedType(req.headers['content-type']), undefined);
      }
      let gzip: boolean;
      try {
        gzip = isGzip(req.headers['content-encoding']);
      } catch (err) {
        payload.resume();
        return done(err as Error, undefined);
      }
      readOtlpBody(payload, gzip, Number(req.headers['content-length'] ?? 0), limit).then(
        (bytes) => done(null, { encoding, bytes } satisfies OtlpBody),
        (err) => done(err as Error, undefined),
      );
    });
    scope.setErrorHandler((err, req, reply) => {
      if (err instanceof OtlpDecodeError) return sendStatus(req, reply, 400, err.message.slice(0, 2000));
      if (err instanceof AppError && err.code === 'payload_too_large') return sendStatus(req, reply, 413, err.message);
      return sendError(err, req, reply);
    });
    for (const { prefix, family } of prefixes) {
      for (const signal of SIGNALS) {
        const url = `${prefix}/v1/${signal}`;
        scope.route({
          method: 'POST',
          url,
          config: { scope: 'write', undocumented: true },
          handler: async (req, reply) => {
            const body = req.body as OtlpBody | undefined;
            if (!body) throw unsupportedType(req.headers['content-type']);
            const workspace = await resolver.resolve(req, family);
            const e = decode(signal, body);
            const partial = await writingItems(services, req.raw, exportItems(e), () =>
              receiveExport({ services, workspace, family }, e),
            );
            return sendExportResponse(reply, signal, body.encoding, partial);
          },
        });
        registerMethodNotAllowed(scope, url, ['POST'], new Set(['account_id', 'workspace_id']));
      }
    }
  });
}

/** The prefixes the native API serves OTLP under: both path families. */
export const API_OTLP_PREFIXES = [
  { prefix: '/api/otlp', family: 'oss' as const },
  { prefix: `${CLOUD_PREFIX}/otlp`, family: 'cloud' as const },
];
