import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4 } from '../../domain/ids.ts';
import type { NewDelivery, NewWebhook } from '../../domain/webhooks.ts';
import type { OpenTestStore } from './index.ts';
import { otherWorkspace, T0, withStore } from './run-fixtures.ts';

const S = 1_000_000;

function rule(over: Partial<NewWebhook> = {}): NewWebhook {
  return {
    id: uuid4(),
    filter: { event: { name: ['prefect.flow-run.Failed'] } },
    url: 'http://127.0.0.1:9/hook',
    format: 'json',
    secret: 'a-secret-of-some-length',
    created: T0,
    position: 7,
    ...over,
  };
}

const delivery = (seq: number, eventId = uuid4()): NewDelivery => ({ eventId, seq, body: `{"n":${seq}}`, created: T0 });

export function webhookConformance(open: OpenTestStore): void {
  describe('webhooks', () => {
    it('keeps rules per workspace; delete takes the delivery log along', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        const a = await store.webhooks.create(ws, rule());
        const b = await store.webhooks.create(ws, rule({ created: T0 + 1, format: 'slack' }));
        await store.webhooks.create(other.id, rule());
        assert.deepEqual(await store.webhooks.get(ws, a.id), { ...rule({ id: a.id }), workspaceId: ws });
        assert.deepEqual(
          (await store.webhooks.list(ws)).map((r) => [r.id, r.format]),
          [
            [a.id, 'json'],
            [b.id, 'slack'],
          ],
        );
        assert.equal(await store.webhooks.get(other.id, a.id), undefined, 'not visible from another workspace');
        assert.equal(await store.webhooks.delete(other.id, a.id), false);
        const [held] = (await store.webhooks.claim('me', T0, T0 + 60 * S)).filter((r) => r.id === a.id);
        assert.ok(held);
        assert.equal(await store.webhooks.enqueue(a.id, 'me', [delivery(8)], 8), true);
        assert.equal(await store.webhooks.delete(ws, a.id), true);
        assert.equal(await store.webhooks.get(ws, a.id), undefined);
        assert.deepEqual(await store.webhooks.deliveries(ws, a.id, { limit: 10, offset: 0 }), []);
        assert.equal(await store.webhooks.pendingCount(a.id), 0);
        assert.equal(await store.webhooks.delete(ws, a.id), false);
      }));

    it('leases each rule to one owner until the lease runs out or is released', () =>
      withStore(open, async (store, ws) => {
        const r = await store.webhooks.create(ws, rule());
        assert.deepEqual(
          (await store.webhooks.claim('a', T0, T0 + 10 * S)).map((x) => x.id),
          [r.id],
        );
        assert.deepEqual(await store.webhooks.claim('b', T0 + 5 * S, T0 + 15 * S), [], 'held by a');
        assert.equal((await store.webhooks.claim('a', T0 + 6 * S, T0 + 16 * S)).length, 1, 'a renews');
        assert.deepEqual(await store.webhooks.claim('b', T0 + 15 * S, T0 + 25 * S), [], 'renewed lease still held');
        assert.equal((await store.webhooks.claim('b', T0 + 17 * S, T0 + 27 * S)).length, 1, 'ran out: b takes it');
        assert.equal(await store.webhooks.enqueue(r.id, 'a', [delivery(9)], 9), false, 'a lost it');
        assert.equal(await store.webhooks.pendingCount(r.id), 0);
        await store.webhooks.release('b');
        assert.equal((await store.webhooks.claim('a', T0 + 18 * S, T0 + 28 * S)).length, 1, 'released');
      }));

    it('queues deliveries with the position, records outcomes, logs newest first', () =>
      withStore(open, async (store, ws) => {
        const r = await store.webhooks.create(ws, rule());
        await store.webhooks.claim('me', T0, T0 + 60 * S);
        const [d1, d2, d3] = [delivery(8), delivery(9), delivery(12)];
        assert.equal(await store.webhooks.enqueue(r.id, 'me', [d1, d2], 10), true);
        // An event already in the log is not queued twice (a retried enqueue after a crash).
        assert.equal(await store.webhooks.enqueue(r.id, 'me', [d2, d3], 12), true);
        assert.equal((await store.webhooks.get(ws, r.id))?.position, 12);
        assert.equal(await store.webhooks.pendingCount(r.id), 3);
        assert.deepEqual(
          (await store.webhooks.due(r.id, T0, 10)).map((d) => [d.eventId, d.attempts, d.body]),
          [d1, d2, d3].map((d) => [d.eventId, 0, d.body]),
        );
        assert.equal(
          await store.webhooks.record(r.id, 'me', {
            eventId: d1.eventId,
            attempts: 1,
            status: 200,
            error: null,
            nextAttempt: null,
            delivered: T0 + S,
            gaveUp: null,
          }),
          true,
        );
        await store.webhooks.record(r.id, 'me', {
          eventId: d2.eventId,
          attempts: 1,
          status: null,
          error: 'timeout',
          nextAttempt: T0 + 30 * S,
          delivered: null,
          gaveUp: null,
        });
        assert.equal(
          await store.webhooks.record(r.id, 'other', {
            eventId: d3.eventId,
            attempts: 1,
            status: 200,
            error: null,
            nextAttempt: null,
            delivered: T0,
            gaveUp: null,
          }),
          false,
          'only the lease holder records',
        );
        assert.equal(await store.webhooks.pendingCount(r.id), 2);
        assert.deepEqual(
          (await store.webhooks.due(r.id, T0 + S, 10)).map((d) => d.eventId),
          [d3.eventId],
          'd2 waits for its next attempt',
        );
        assert.deepEqual(
          (await store.webhooks.due(r.id, T0 + 30 * S, 1)).map((d) => d.eventId),
          [d3.eventId],
          'earliest first, bounded',
        );
        const log = await store.webhooks.deliveries(ws, r.id, { limit: 10, offset: 0 });
        assert.deepEqual(
          log.map((d) => [d.eventId, d.seq, d.attempts, d.status, d.error, d.nextAttempt, d.delivered]),
          [
            [d3.eventId, 12, 0, null, null, T0, null],
            [d2.eventId, 9, 1, null, 'timeout', T0 + 30 * S, null],
            [d1.eventId, 8, 1, 200, null, null, T0 + S],
          ],
        );
        assert.deepEqual(
          (await store.webhooks.deliveries(ws, r.id, { limit: 1, offset: 1 })).map((d) => d.eventId),
          [d2.eventId],
        );
        const other = await otherWorkspace(store);
        assert.deepEqual(await store.webhooks.deliveries(other.id, r.id, { limit: 10, offset: 0 }), []);
      }));
  });
}
