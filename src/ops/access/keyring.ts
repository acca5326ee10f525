/**
 * Which key a secret is, without a database round trip per request: what the store says of a
 * secret's hash is kept for at most `ttlMs` (5 s), so a key created, revoked or expired on any
 * instance holds everywhere within that time. A key's `last_used` is written at most once a
 * minute per instance, off the request's path.
 */
import { type ApiKey, hashKey, keyRefusal, looksLikeKey, sameHash } from '../../domain/access.ts';
import { nowMicros } from '../../domain/time.ts';
import type { KeyStore } from '../../store/contract.ts';
import type { OpLog } from '../context.ts';

/** Who is calling: the key the request presented. */
export interface Caller {
  readonly key: ApiKey;
}

export type KeyCheck = { caller: Caller } | { refused: 'missing' | 'unknown' | 'revoked' | 'expired' };

interface Entry {
  key: ApiKey | undefined;
  at: number;
}

const MAX_ENTRIES = 10_000;

export class Keyring {
  private readonly keys: KeyStore;
  private readonly log: OpLog;
  private readonly ttlMs: number;
  private readonly touchEveryMs: number;
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly touched = new Map<string, number>();

  constructor(keys: KeyStore, log: OpLog, opts: { ttlMs?: number; touchEveryMs?: number } = {}) {
    this.keys = keys;
    this.log = log;
    this.ttlMs = opts.ttlMs ?? 5000;
    this.touchEveryMs = opts.touchEveryMs ?? 60_000;
  }

  /** The caller a presented secret identifies, or why it is refused. */
  async check(secret: string | undefined): Promise<KeyCheck> {
    if (secret === undefined || secret === '') return { refused: 'missing' };
    if (!looksLikeKey(secret)) return { refused: 'unknown' };
    const hash = hashKey(secret);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at > this.ttlMs) entry = await this.load(hash);
    const { key } = entry;
    if (!key || !sameHash(key.hash, hash)) return { refused: 'unknown' };
    const refusal = keyRefusal(key, nowMicros());
    if (refusal) return { refused: refusal };
    this.touch(key, now);
    return { caller: { key } };
  }

  private load(hash: string): Promise<Entry> {
    let p = this.loading.get(hash);
    if (!p) {
      p = this.keys.byHash(hash).then((key) => {
        const entry = { key, at: Date.now() };
        this.cache.delete(hash);
        if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(hash, entry);
        return entry;
      });
      const done = () => this.loading.delete(hash);
      p.then(done, done);
      this.loading.set(hash, p);
    }
    return p;
  }

  private touch(key: ApiKey, now: number): void {
    const last = this.touched.get(key.id);
    if (last !== undefined && now - last < this.touchEveryMs) return;
    this.touched.set(key.id, now);
    this.keys.touch(key.id, nowMicros()).catch((err) => this.log.error({ err }, 'recording a key as used failed'));
  }
}
