/**
 * API keys: what a key is, how its secret looks and how it is kept (ADR 27). The secret is `sl_`
 * and 43 base64url characters (256 random bits), shown once; only its SHA-256 is stored, and a
 * short prefix so that people can tell their keys apart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Micros } from './time.ts';

/** `read` ⊂ `write` ⊂ `admin`; routes declare the one they need. */
export type KeyScope = 'read' | 'write' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['read', 'write', 'admin'];

/** Whether a key of scope `have` may run an operation that needs `need`. */
export function scopeAllows(have: KeyScope, need: KeyScope): boolean {
  return KEY_SCOPES.indexOf(have) >= KEY_SCOPES.indexOf(need);
}

export interface ApiKey {
  id: string;
  accountId: string;
  /** The workspaces it may reach; null = account-wide (every workspace, present and future). */
  workspaceIds: string[] | null;
  scope: KeyScope;
  name: string;
  /** The first characters of the secret (`sl_` and 6 more), for lists. */
  prefix: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  created: Micros;
  expires: Micros | null;
  revoked: Micros | null;
  lastUsed: Micros | null;
  /** Per-key overrides of `--rate-limit-requests` / `--rate-limit-items` (null = the server's). */
  rateLimitRequests: number | null;
  rateLimitItems: number | null;
}

/** What the creator of a key chooses; the store assigns the rest. */
export type NewApiKey = Omit<ApiKey, 'created' | 'revoked' | 'lastUsed'>;

const KEY_SHAPE = /^sl_[A-Za-z0-9_-]{43}$/;
export const KEY_PREFIX_LENGTH = 9;

/** A new secret: `sl_` + 43 base64url characters. */
export function newKeySecret(): string {
  return `sl_${randomBytes(32).toString('base64url')}`;
}

/** Whether `s` has the shape of a key (cheap check before hashing). */
export function looksLikeKey(s: string): boolean {
  return KEY_SHAPE.test(s);
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two hex hashes of equal length. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why a stored key is refused at `now`, or undefined when it is valid. */
export function keyRefusal(key: ApiKey, now: Micros): 'revoked' | 'expired' | undefined {
  if (key.revoked !== null && key.revoked <= now) return 'revoked';
  if (key.expires !== null && key.expires <= now) return 'expired';
  return undefined;
}

/** A key as `keys list` and the API show it: never the secret or its hash. */
export function describeKey(key: ApiKey): Omit<ApiKey, 'hash'> {
  const { hash: _hash, ...rest } = key;
  return rest;
}
