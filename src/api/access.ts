/**
 * `--auth` on the native API (ADR 27): which key a request presents, what it may run, and the
 * caller every later step (tenancy in the router, the websocket routes) reads. Keys are accepted
 * as `Authorization: Bearer <key>`, `Authorization: <key>` (the flow-run management API's form),
 * HTTP Basic with the key as password, and on websockets as the `auth` message's token (the key,
 * or `user:key` as Prefect's `PREFECT_API_AUTH_STRING`). Never in a URL. Rate limits (ADR 29) are
 * counted here too: each request against its key's or address's bucket, and failed keys against
 * their address's.
 */
import { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type KeyScope, scopeAllows } from '../domain/access.ts';
import { AppError } from '../domain/errors.ts';
import type { Caller, KeyCheck, Keyring } from '../ops/access/keyring.ts';
import type { Holder, RateLimits } from '../ops/access/rate-limits.ts';
import type { Services } from '../ops/context.ts';
import { type BrowserGuard, browserGuard } from './browser-guard.ts';

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

/**
 * Paths served without a key: liveness and readiness, as in Prefect (they hold no data); signed
 * download links, which carry their own credential (checked by their route); and the web UI's
 * files and Prefect's, every path outside `/api` (ADR 31, 33) — they hold no data, and the UIs ask
 * for a key when the API answers 401. An unknown path under `/api` still needs a key: it answers
 * 401, not 404. `/metrics` holds no data either, but says how the server is used: it is open only
 * with `--metrics-public`.
 */
const OPEN_PATHS = new Set(['/api/health', '/api/health/', '/api/ready', '/api/ready/']);
/** Outside `/api` but not a UI file: it needs a read key under `--auth`, unless `--metrics-public`. */
const METRICS_PATH = '/metrics';
const SIGNED_DOWNLOAD = /^\/api\/sightline\/log-downloads\/[^/]+$/;

function openPath(req: FastifyRequest, metricsPublic: boolean): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (path === METRICS_PATH) return metricsPublic;
  return OPEN_PATHS.has(path) || SIGNED_DOWNLOAD.test(path) || !(path === '/api' || path.startsWith('/api/'));
}

/** What every listener needs to let a request in: the keys (under `--auth`) and the rate limits. */
export interface Door {
  /** Defined under `--auth`. */
  readonly keyring: Keyring | undefined;
  readonly limits: RateLimits;
  readonly guard: BrowserGuard;
}

export function doorOf(services: Services): Door {
  const { config, keyring, limits } = services;
  return { keyring: config.auth ? keyring : undefined, limits, guard: browserGuard(config) };
}

/**
 * A request the REST gateway or MCP made to the native API for its caller (Fastify `inject`, no
 * socket of its own): counted where it entered, so not again (an MCP call may make several).
 */
const inProcess = (req: IncomingMessage) => !(req instanceof IncomingMessage);

/**
 * Lets a request in or throws: under `--auth` its key (401; 429 once its address has failed
 * `--auth-fail-limit` times within the last minute's allowance), then one request of its key's or
 * address's bucket (429). The caller, under `--auth`.
 */
export async function letIn(door: Door, req: IncomingMessage): Promise<Caller | undefined> {
  const counted = !inProcess(req);
  const { address } = door.guard.view(req);
  let caller: Caller | undefined;
  if (door.keyring) {
    if (counted) door.limits.checkFailures(address);
    const r = await door.keyring.check(credentialOf(req.headers.authorization));
    if (!accepted(r)) {
      if (counted) door.limits.failed(address);
      throw unauthorized();
    }
    caller = r.caller;
  }
  if (counted) door.limits.request(door.limits.holder(caller?.key, address));
  return caller;
}

/** Keeps the caller of an upgrade (websockets authenticate after it). */
export function rememberCaller(req: IncomingMessage, caller: Caller): void {
  callers.set(req, caller);
}

/** Whose buckets a request draws on: its caller's key, else its client's address. */
export function holderOf(services: Services, req: IncomingMessage): Holder {
  return services.limits.holder(callers.get(req)?.key, browserGuard(services.config).view(req).address);
}

/**
 * Runs `write` as a write of `n` items of the request's holder: 413 or 429 before it runs when
 * they are over the limit; given back when it fails (nothing was written).
 */
export async function writingItems<T>(
  services: Services,
  req: IncomingMessage,
  n: number,
  write: () => Promise<T>,
): Promise<T> {
  if (n <= 0) return write();
  const holder = holderOf(services, req);
  services.limits.takeItems(holder, n);
  try {
    return await write();
  } catch (err) {
    services.limits.refundItems(holder, n);
    throw err;
  }
}

/**
 * Every request of the native API but the open paths goes through the door (`letIn`); under
 * `--auth` its key needs the scope its route declares (403), and the caller is kept for the
 * router's tenancy checks. Requests that match no route need a key too (nothing is learnt
 * without one).
 */
export function registerAccess(app: FastifyInstance, services: Services): void {
  const { config } = services;
  if (!config.auth && config['rate-limit-requests'] <= 0) return;
  const door = doorOf(services);
  const metricsPublic = config['metrics-public'];
  app.addHook('onRequest', async (req) => {
    if (openPath(req, metricsPublic)) return;
    const caller = await letIn(door, req.raw);
    if (!caller) return;
    const scope = (req.routeOptions.config as { scope?: KeyScope } | undefined)?.scope;
    const refused = scope && scopeRefusal(caller, scope);
    if (refused) throw refused;
    callers.set(req.raw, caller);
  });
}
