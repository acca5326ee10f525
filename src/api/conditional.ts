/**
 * Conditional requests: the one `If-None-Match` rule of the native API. Weak comparison
 * (RFC 9110 §13.1.2): `W/` prefixes are ignored, `*` matches any current representation, and an
 * unquoted validator is read as the quoted one (clients that echo the count of a run's events
 * without its quotes keep working).
 */
import type { FastifyRequest } from 'fastify';
import { headerValue } from './query.ts';

const opaque = (tag: string) =>
  tag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

/** Whether the request's `If-None-Match` names `etag` (a quoted entity tag). */
export function notModified(req: Pick<FastifyRequest, 'headers'>, etag: string): boolean {
  const header = headerValue(req, 'if-none-match');
  if (!header) return false;
  const mine = opaque(etag);
  return header.split(',').some((t) => {
    const theirs = opaque(t);
    return theirs === '*' || theirs === mine;
  });
}
