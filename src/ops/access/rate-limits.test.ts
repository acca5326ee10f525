/** The token buckets on a clock the test moves: refill, waits, overrides, the 10 s hold. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ApiKey } from '../../domain/access.ts';
import { type AppError, RateLimitError } from '../../domain/errors.ts';
import { MAX_HOLD_MS, RateLimits } from './rate-limits.ts';

function limits(requests: number, items: number, authFail = 3) {
  const clock = { now: 0 };
  const l = new RateLimits(
    { 'rate-limit-requests': requests, 'rate-limit-items': items, 'auth-fail-limit': authFail },
    { now: () => clock.now },
  );
  return { l, clock };
}

const refusal = (fn: () => void): AppError => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  assert.fail('not refused');
};

it('refills continuously and says when to retry', () => {
  const { l, clock } = limits(60, 0);
  const h = l.holder(undefined, '10.0.0.1');
  for (let i = 0; i < 60; i++) l.request(h);
  const e = refusal(() => l.request(h));
  assert.ok(e instanceof RateLimitError);
  assert.equal(e.retryAfter, 1);
  clock.now += 1000; // one back a second
  l.request(h);
  assert.ok(refusal(() => l.request(h)) instanceof RateLimitError);
  // Another address has its own bucket.
  l.request(l.holder(undefined, '10.0.0.2'));
});

it('items: 413 naming both numbers past the limit, 429 past what is left (nothing taken), refunds', () => {
  const { l, clock } = limits(0, 100);
  const h = l.holder(undefined, 'a');
  const big = refusal(() => l.takeItems(h, 101));
  assert.equal(big.code, 'payload_too_large');
  assert.match(big.message, /101 items.*limit of 100 items a minute/);
  l.takeItems(h, 60);
  const over = refusal(() => l.takeItems(h, 60));
  assert.ok(over instanceof RateLimitError);
  assert.equal(over.retryAfter, 12); // 20 more at 100 a minute
  l.takeItems(h, 40);
  l.refundItems(h, 40);
  l.takeItems(h, 40);
  clock.now += 60_000;
  l.takeItems(h, 100);
});

it("a key's own limits replace the server's; 0 means none", () => {
  const { l } = limits(1, 1);
  const key = (r: number | null, i: number | null) => ({ id: 'k', rateLimitRequests: r, rateLimitItems: i }) as ApiKey;
  const own = l.holder(key(3, 0), 'a');
  for (let i = 0; i < 3; i++) l.request(own);
  assert.ok(refusal(() => l.request(own)) instanceof RateLimitError);
  l.takeItems(own, 1_000_000);
  assert.deepEqual(l.holder(key(null, null), 'a'), { id: 'k', requests: 1, items: 1 });
});

it('a stream waits for its item, but never longer than MAX_HOLD_MS: then the bucket owes it', () => {
  const { l, clock } = limits(0, 1); // one a minute
  const h = l.holder(undefined, 'a');
  assert.equal(l.takeItemOrWait(h, 0), 0);
  assert.equal(l.takeItemOrWait(h, 0), MAX_HOLD_MS);
  clock.now += 4000;
  assert.equal(l.takeItemOrWait(h, 4000), MAX_HOLD_MS - 4000);
  clock.now += 6000;
  assert.equal(l.takeItemOrWait(h, MAX_HOLD_MS), 0);
  // The debt delays HTTP writes of the same holder too.
  assert.ok(refusal(() => l.takeItems(h, 1)) instanceof RateLimitError);
});

it('failed authentications: past the limit the address is refused until one refills', () => {
  const { l, clock } = limits(0, 0, 3);
  for (let i = 0; i < 3; i++) {
    l.checkFailures('a');
    l.failed('a');
  }
  const e = refusal(() => l.checkFailures('a'));
  assert.ok(e instanceof RateLimitError);
  assert.equal(e.retryAfter, 20);
  l.checkFailures('b');
  clock.now += 20_000;
  l.checkFailures('a');
});
