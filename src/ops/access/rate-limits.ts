/**
 * Rate limits (issue 15, ADR 29): per key under `--auth`, per remote address without, two token
 * buckets a minute as Prefect Cloud counts them — API requests and items written (log lines,
 * events) — and one of failed authentications per address. Buckets refill continuously (a
 * limit of 60 gives one back every second) and live in this instance's memory: no database round
 * trip on the request path, and N instances admit up to N times the limit.
 */
import type { ApiKey } from '../../domain/access.ts';
import { AppError, RateLimitError } from '../../domain/errors.ts';

/** Whose buckets a request draws on, and their sizes a minute (0 = no limit). */
export interface Holder {
  readonly id: string;
  readonly requests: number;
  readonly items: number;
}

export interface RateLimitConfig {
  'rate-limit-requests': number;
  'rate-limit-items': number;
  'auth-fail-limit': number;
}

/** The longest a websocket is left unread for want of items (the Prefect client gives a pong 20 s). */
export const MAX_HOLD_MS = 10_000;

const MINUTE_MS = 60_000;
/** Past this many buckets, full ones (which say nothing a missing one would not) are dropped. */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
  limit: number;
}

/** Token buckets of `limit` a minute by holder id; `now` in milliseconds, monotonic. */
export class Buckets {
  private readonly map = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  private bucket(id: string, limit: number): Bucket {
    const now = this.now();
    let b = this.map.get(id);
    if (!b) {
      if (this.map.size >= MAX_BUCKETS) this.sweep(now);
      b = { tokens: limit, at: now, limit };
      this.map.set(id, b);
      return b;
    }
    b.tokens = Math.min(limit, b.tokens + ((now - b.at) * limit) / MINUTE_MS);
    b.at = now;
    b.limit = limit;
    return b;
  }

  /** Takes `n` tokens: 0 when taken, else the milliseconds until `n` are there (nothing taken). */
  take(id: string, limit: number, n = 1): number {
    const b = this.bucket(id, limit);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.ceil(((n - b.tokens) * MINUTE_MS) / limit);
  }

  /** Takes `n` tokens whatever is left: the bucket owes them, and refills from below zero. */
  force(id: string, limit: number, n = 1): void {
    this.bucket(id, limit).tokens -= n;
  }

  /** Gives back `n` tokens taken for something that was then not done. */
  refund(id: string, limit: number, n: number): void {
    const b = this.bucket(id, limit);
    b.tokens = Math.min(limit, b.tokens + n);
  }

  /** Milliseconds until one token is there (0: now), taking nothing. */
  wait(id: string, limit: number): number {
    const b = this.map.get(id);
    if (!b) return 0;
    const tokens = Math.min(limit, b.tokens + ((this.now() - b.at) * limit) / MINUTE_MS);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * MINUTE_MS) / limit);
  }

  private sweep(now: number): void {
    for (const [id, b] of this.map) if (b.tokens + ((now - b.at) * b.limit) / MINUTE_MS >= b.limit) this.map.delete(id);
    // All busy (a flood of addresses): the oldest go, as if they had refilled.
    for (const id of this.map.keys()) {
      if (this.map.size < MAX_BUCKETS) break;
      this.map.delete(id);
    }
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export const rateLimited = (waitMs: number) => new RateLimitError('Rate limit exceeded', seconds(waitMs));

/** Which limit refused something (a label of the metrics). */
export type RejectedLimit = 'requests' | 'items' | 'auth_failures';

export class RateLimits {
  private readonly config: RateLimitConfig;
  private readonly requests: Buckets;
  private readonly items: Buckets;
  private readonly failures: Buckets;
  private readonly onReject: (limit: RejectedLimit) => void;

  constructor(config: RateLimitConfig, opts: { now?: () => number; onReject?: (limit: RejectedLimit) => void } = {}) {
    const now = opts.now ?? (() => performance.now());
    this.onReject = opts.onReject ?? (() => {});
    this.config = config;
    this.requests = new Buckets(now);
    this.items = new Buckets(now);
    this.failures = new Buckets(now);
  }

  /** The holder of a request: its key (with the key's own limits, if any), else its address. */
  holder(key: ApiKey | undefined, address: string): Holder {
    const requests = this.config['rate-limit-requests'];
    const items = this.config['rate-limit-items'];
    if (!key) return { id: address, requests, items };
    return { id: key.id, requests: key.rateLimitRequests ?? requests, items: key.rateLimitItems ?? items };
  }

  /** Counts one API request; throws 429 (with its Retry-After) past the limit. */
  request(h: Holder): void {
    if (h.requests <= 0) return;
    const wait = this.requests.take(h.id, h.requests);
    if (wait) throw this.rejected('requests', rateLimited(wait));
  }

  /**
   * Counts a batch of `n` items: 413 naming both numbers when it is more than the whole limit,
   * 429 when more than is left (nothing is taken then).
   */
  takeItems(h: Holder, n: number): void {
    if (h.items <= 0 || n <= 0) return;
    if (n > h.items)
      throw this.rejected(
        'items',
        new AppError(
          'payload_too_large',
          `A batch of ${n} items is more than the limit of ${h.items} items a minute: send smaller batches`,
        ),
      );
    const wait = this.items.take(h.id, h.items, n);
    if (wait) throw this.rejected('items', rateLimited(wait));
  }

  /** Gives back the items of a batch that was then not written. */
  refundItems(h: Holder, n: number): void {
    if (h.items > 0 && n > 0) this.items.refund(h.id, h.items, n);
  }

  /**
   * For a stream that waits instead of failing (`/events/in`): takes one item and answers 0, or
   * answers how long to wait before asking again. An item held `MAX_HOLD_MS` is taken anyway (the
   * bucket owes it), so that a stream is never held longer, whatever the limit.
   */
  takeItemOrWait(h: Holder, heldMs: number): number {
    if (h.items <= 0) return 0;
    const wait = this.items.take(h.id, h.items);
    if (wait === 0) return 0;
    if (heldMs >= MAX_HOLD_MS) {
      this.items.force(h.id, h.items);
      return 0;
    }
    return Math.min(wait, MAX_HOLD_MS - heldMs);
  }

  /** Whether a holder's items are limited at all (streams skip the bookkeeping otherwise). */
  limitsItems(h: Holder): boolean {
    return h.items > 0;
  }

  /** Throws 429 while `address` has used up its failed authentications. */
  checkFailures(address: string): void {
    const limit = this.config['auth-fail-limit'];
    if (limit <= 0) return;
    const wait = this.failures.wait(address, limit);
    if (wait) throw this.rejected('auth_failures', rateLimited(wait));
  }

  private rejected<E>(limit: RejectedLimit, err: E): E {
    this.onReject(limit);
    return err;
  }

  /** Counts a failed authentication of `address`. */
  failed(address: string): void {
    const limit = this.config['auth-fail-limit'];
    if (limit > 0) this.failures.take(address, limit);
  }
}
