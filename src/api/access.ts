/**
 * `--auth` on the native API (ADR 27): which key a request presents, what it may run, and the
 * caller every later step (tenancy in the router, the websocket routes) reads. Keys are accepted
 * as `Authorization: Bearer <key>`, `Authorization: <key>` (the flow-run management API's form),
 * HTTP Basic with the key as password, and on websockets as the `auth` message's token (the key,
 * or `user:key` as Prefect's `PREFECT_API_AUTH_STRING`). Never in a URL.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type KeyScope, scopeAllows } from '../domain/access.ts';
import { AppError } from '../domain/errors.ts';
import type { Caller, KeyCheck } from '../ops/access/keyring.ts';
import type { Services } from '../ops/context.ts';

/** The key in an `Authorization` header (Bearer, Basic's password, or bare), or undefined. */
export function credentialOf(authorization: string | string[] | undefined): string | undefined {
  const h = (Array.isArray(authorization) ? authorization[0] : authorization)?.trim();
  if (!h) return undefined;
  const space = h.indexOf(' ');
  if (space < 0) return h;
  const scheme = h.slice(0, space).toLowerCase();
  const value = h.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/** The key in a websocket `auth` message's token: the key itself or `user:key`. */
export function tokenCredential(token: unknown): string | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  const colon = token.indexOf(':');
  return colon < 0 ? token : token.slice(colon + 1);
}

export const unauthorized = () => new AppError('unauthorized', 'Unauthorized');
export const scopeRequired = (scope: KeyScope) => new AppError('forbidden', `Forbidden: ${scope} scope required`);

/** The refusal of a scope check, or undefined when `caller` may run what needs `scope`. */
export function scopeRefusal(caller: Caller, scope: KeyScope): AppError | undefined {
  return scopeAllows(caller.key.scope, scope) ? undefined : scopeRequired(scope);
}

/** Whether a check found a caller. */
export const accepted = (r: KeyCheck): r is { caller: Caller } => 'caller' in r;

const callers = new WeakMap<IncomingMessage, Caller>();

/** The caller of a request under `--auth` (undefined without it). */
export function callerOf(req: { raw: IncomingMessage } | IncomingMessage): Caller | undefined {
  return callers.get('raw' in req ? req.raw : req);
}

/** Paths served without a key: liveness and readiness, as in Prefect (they hold no data). */
const OPEN_PATHS = new Set(['/api/health', '/api/health/', '/api/ready', '/api/ready/']);

function openPath(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const q = req.url.indexOf('?');
  return OPEN_PATHS.has(q < 0 ? req.url : req.url.slice(0, q));
}

/**
 * Under `--auth`, every request of the native API but the open paths needs a valid key (401
 * before its body is read) with the scope its route declares (403); the caller is kept for the
 * router's tenancy checks. Requests that match no route need a key too (nothing is learnt
 * without one).
 */
export function registerAccess(app: FastifyInstance, services: Services): void {
  if (!services.config.auth) return;
  app.addHook('onRequest', async (req) => {
    if (openPath(req)) return;
    const r = await services.keyring.check(credentialOf(req.headers.authorization));
    if (!accepted(r)) throw unauthorized();
    const scope = (req.routeOptions.config as { scope?: KeyScope } | undefined)?.scope;
    const refused = scope && scopeRefusal(r.caller, scope);
    if (refused) throw refused;
    callers.set(req.raw, r.caller);
  });
}
