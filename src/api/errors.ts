/**
 * The only place that knows Prefect's error body shapes. Open-source paths get the runtime shape
 * of Prefect's server (`exception_message`, `exception_detail`, `request_body`); Cloud paths get
 * the declared `{"detail": [{loc, msg, type}]}`. Other errors are `{"detail": "<message>"}`.
 * The stable error code goes to the server log, never into the body.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, RateLimitError } from '../domain/errors.ts';
import { any, array, int, named, object, oneOf, optional, type Schema, str } from '../lib/schema.ts';
import type { PathFamily } from '../ops/context.ts';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_input: 422,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  unsupported_media_type: 415,
  misdirected_request: 421,
  conflict: 409,
  unsupported: 422,
  unavailable: 503,
  bad_gateway: 502,
  gateway_timeout: 504,
  schema_too_new: 500,
  internal: 500,
  bad_request: 400,
  unsupported_parameter: 400,
  invalid_parameter: 422,
  run_not_finished: 409,
  run_finished: 409,
  download_not_ready: 409,
  gone: 410,
  too_many_jobs: 429,
  ambiguous_id: 409,
};

// ---- the bodies below, as schemas (the OpenAPI document's error responses) ----------------------

const loc = array(oneOf<string | number>(str(), int()));
const issue = object({ loc, msg: str(), type: str() });
/** `{"detail": "<message>"}`: every error but a validation one. */
export const httpErrorSchema = named('HTTPError', object({ detail: str() }));
/** A validation error on Cloud paths. */
export const validationErrorSchema = named('HTTPValidationError', object({ detail: array(issue) }));
/** A validation error on open-source paths: the runtime shape of Prefect's server. */
export const ossValidationErrorSchema = named(
  'OSSValidationError',
  object({
    exception_message: str(),
    exception_detail: array(object({ type: str(), loc, msg: str(), input: optional(any()) })),
    request_body: any(),
  }),
);
/** The management API's errors (and the REST gateway's): a stable code, a message, the issues. */
export const codedErrorSchema = named(
  'CodedError',
  object({ code: str(), message: str(), issues: optional(array(issue)) }, { extra: 'ignore' }),
);

/** The error shapes a route answers in: its path family's, or the management API's. */
export type ErrorShape = PathFamily | 'coded';

/** The schema of an error body of `status` in `shape`. */
export function errorSchema(status: number, shape: ErrorShape): Schema<unknown> {
  if (shape === 'coded') return codedErrorSchema;
  if (status !== 422) return httpErrorSchema;
  return oneOf<unknown>(shape === 'cloud' ? validationErrorSchema : ossValidationErrorSchema, httpErrorSchema);
}

export function familyOf(url: string): PathFamily {
  return url.startsWith('/api/accounts/') ? 'cloud' : 'oss';
}

/** The flow-run management API (`/api/v1/…`, and under a workspace's Cloud path). */
export const MANAGEMENT_API = /^\/api\/(?:accounts\/[^/]+\/workspaces\/[^/]+\/)?v1(?:[/?]|$)/;

/** The management API's body: `{code, message}` and the error's details (the REST gateway's shape). */
function codedBody(err: AppError): unknown {
  const code = err.code === 'route_not_found' ? 'not_found' : err.code;
  const body: Record<string, unknown> = {
    code,
    message: HTTP_STATUS[err.code] >= 500 ? 'Internal error' : err.message,
  };
  if (err.issues.length) body.issues = err.issues.map(({ loc, msg, type }) => ({ loc, msg, type }));
  return { ...body, ...err.details };
}

export function errorBody(err: AppError, family: PathFamily): unknown {
  if (err.code === 'invalid_input' && err.issues.length) {
    const detail = err.issues.map((i) => ({ loc: i.loc, msg: i.msg, type: i.type }));
    if (family === 'cloud') return { detail };
    return {
      exception_message: 'Invalid request received.',
      exception_detail: err.issues.map((i) => ({ type: i.type, loc: i.loc, msg: i.msg, input: i.input })),
      request_body: err.requestBody ?? null,
    };
  }
  if (err.code === 'route_not_found') return { detail: 'Not Found' };
  if (err.code === 'internal') return { exception_message: 'Internal Server Error' };
  return { detail: err.message };
}

/** Converts whatever was thrown into an AppError (Fastify's own errors included): the one converter of every HTTP listener. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', e.message ?? 'Request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_input', `Unsupported content type: ${e.message}`);
    // A path Starlette would not match either: an over-long or badly escaped path parameter.
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_BAD_URL':
      return new AppError('route_not_found', 'Not Found');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_input', e.message ?? 'Invalid body');
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError(e.statusCode === 404 ? 'route_not_found' : 'invalid_input', e.message ?? 'Bad request');
  }
  return new AppError('internal', e?.message ?? String(err));
}

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const app = toAppError(err);
  if (app instanceof RateLimitError) reply.header('retry-after', String(app.retryAfter));
  const status = HTTP_STATUS[app.code];
  if (status >= 500) req.log.error({ code: app.code, err }, app.message);
  else req.log.info({ code: app.code, status }, app.message);
  // Prefect's client retries 503s, honouring Retry-After; a download not ready yet is worth asking again.
  if (app.code === 'unavailable' || app.code === 'download_not_ready') reply.header('retry-after', '1');
  if (app.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  return reply
    .code(status)
    .type('application/json')
    .send(MANAGEMENT_API.test(req.url) ? codedBody(app) : errorBody(app, familyOf(req.url)));
}
