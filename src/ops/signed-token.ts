/**
 * Opaque, signed, expiring tokens for page tokens and cursors. A token is
 * `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload part))`; the payload carries
 * its expiry (`exp`, Unix milliseconds) and a `kind` so a token minted for one purpose is never
 * accepted for another. The secret lives in the database (`TenancyStore.tokenSecret`), so every
 * instance sharing it accepts the others' tokens (`--token-secret` overrides it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Services } from './context.ts';

const keys = new WeakMap<Services, Buffer>();

/** The signing key: `services.tokenSecret` (the database's secret, or `--token-secret`). */
export function tokenKey(services: Services): Buffer {
  let k = keys.get(services);
  if (!k) {
    k = Buffer.from(services.tokenSecret, 'utf8');
    keys.set(services, k);
  }
  return k;
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

export interface TokenOptions {
  /** What the token is for (`events-page`, `spans-cursor`, …); checked on verification. */
  kind: string;
  /** Lifetime from now, or … */
  ttlMs?: number;
  /** … an absolute expiry (Unix ms), e.g. carried over from the token being continued. */
  expiresAt?: number;
  now?: number;
  /**
   * A substring the token must not contain (Prefect Cloud's UI cuts `next_page` URLs at the first
   * `next`); a counter field is bumped until the encoding avoids it.
   */
  avoid?: string;
}

export function signToken(key: Buffer, payload: Record<string, unknown>, opts: TokenOptions): string {
  const base = { ...payload, kind: opts.kind, exp: opts.expiresAt ?? (opts.now ?? Date.now()) + (opts.ttlMs ?? 0) };
  for (let n = 0; ; n++) {
    const body = Buffer.from(JSON.stringify(n === 0 ? base : { ...base, _: n }), 'utf8').toString('base64url');
    const token = `${body}.${mac(key, body)}`;
    if (!opts.avoid || !token.includes(opts.avoid)) return token;
  }
}

/** The payload of a valid, unexpired token of this kind, or undefined. */
export function verifyToken<T>(key: Buffer, token: string, kind: string, now = Date.now()): T | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(key, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: { kind?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (payload.kind !== kind || typeof payload.exp !== 'number' || payload.exp < now) return undefined;
  return payload as T;
}
