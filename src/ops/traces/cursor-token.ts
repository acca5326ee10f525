/**
 * Signed, expiring tokens: `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload part))`.
 * The payload carries a `kind` (a token minted for one purpose is refused for another) and its
 * expiry `exp` (Unix milliseconds). The secret is the database's (`TenancyStore.tokenSecret`), so
 * every instance on the database accepts the others' tokens.
 *
 * Kept apart so that it can give way to the shared token module of the events work once that lands
 * (same shape: `tokenKey`, `signToken`, `verifyToken`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../store/contract.ts';

const keys = new WeakMap<Store, Promise<Buffer>>();

/** The store's token secret as an HMAC key, read once per store. */
export function tokenKey(store: Store): Promise<Buffer> {
  let k = keys.get(store);
  if (!k) {
    k = store.tenancy.tokenSecret().then((s) => Buffer.from(s, 'utf8'));
    keys.set(store, k);
  }
  return k;
}

function sign(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

export function signToken(key: Buffer, payload: Record<string, unknown>, opts: { kind: string; ttlMs: number; now?: number }): string {
  const body = Buffer.from(JSON.stringify({ ...payload, kind: opts.kind, exp: (opts.now ?? Date.now()) + opts.ttlMs }), 'utf8').toString(
    'base64url',
  );
  return `${body}.${sign(key, body).toString('base64url')}`;
}

/** The payload of an authentic, unexpired token of this kind; undefined otherwise. */
export function verifyToken<T>(key: Buffer, token: string, kind: string, now = Date.now()): T | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = sign(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: { kind?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || payload.kind !== kind) return undefined;
  if (typeof payload.exp !== 'number' || payload.exp < now) return undefined;
  return payload as T;
}
