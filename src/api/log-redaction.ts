/** Server logs never hold a credential: `Authorization` is redacted wherever a request is logged. */
const PATHS = ['req.headers.authorization', 'request.headers.authorization', 'headers.authorization'];

/** Fastify's `logger` option with the redaction added (false stays false). */
export function redacted(logger: boolean | object | undefined): false | object {
  if (!logger) return false;
  return { ...(typeof logger === 'object' ? logger : {}), redact: { paths: PATHS, censor: '[redacted]' } };
}
