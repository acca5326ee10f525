import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventFilter, EventQuery, EventScope, NewEvent } from '../../domain/events.ts';
import { uuid7 } from '../../domain/ids.ts';
import type { OpenTestStore } from './index.ts';
import { otherWorkspace, withAccountStore as withStore } from './run-fixtures.ts';

const T0 = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z
const ALL: EventFilter = { since: 0, until: T0 * 2 };

export function newEvent(
  accountId: string,
  workspaceId: string | null,
  i: number,
  over: Partial<NewEvent> = {},
): NewEvent {
  return {
    accountId,
    workspaceId,
    id: uuid7(),
    occurred: T0 + i * 1000,
    received: T0,
    event: `conf.event.${i}`,
    resourceId: `prefect.flow-run.${i}`,
    resource: { 'prefect.resource.id': `prefect.flow-run.${i}` },
    related: [],
    payload: { i },
    follows: null,
    ...over,
  };
}

function q(over: Partial<EventQuery> = {}): EventQuery {
  return { filter: ALL, order: 'ASC', limit: 100, ...over };
}

export function eventConformance(open: OpenTestStore): void {
  describe('events', () => {
    it('stores the first of one id repeated in a batch, even with another occurred (another partition)', () =>
      withStore(open, async (store, account, ws) => {
        const b = newEvent(account, ws, 2);
        const r = await store.events.append([b, { ...b, event: 'conf.later', occurred: b.occurred + 86_400_000_000 }]);
        assert.deepEqual([r.inserted.length, r.duplicates], [1, 1]);
        const rows = await store.events.query(
          { kind: 'workspace', accountId: account, workspaceId: ws },
          q({ filter: { ...ALL, ids: [b.id] } }),
        );
        assert.deepEqual(
          rows.map((x) => x.event),
          ['conf.event.2'],
        );
      }));

    it('appends, skips duplicates per tenant (first write wins) and reports what was inserted', () =>
      withStore(open, async (store, account, ws) => {
        const other = await otherWorkspace(store);
        const a = newEvent(account, ws, 1);
        const dup = { ...a, event: 'conf.changed' };
        const r1 = await store.events.append([a, dup]);
        assert.equal(r1.inserted.length, 1);
        assert.equal(r1.duplicates, 1);
        assert.ok(r1.inserted[0].seq > 0);
        const r2 = await store.events.append([dup, { ...a, workspaceId: other.id }, { ...a, workspaceId: null }]);
        assert.equal(r2.inserted.length, 2, 'same id in another workspace and at account scope are new');
        assert.equal(r2.duplicates, 1);
        const wsScope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const rows = await store.events.query(wsScope, q());
        assert.deepEqual(
          rows.map((r) => r.event),
          ['conf.event.1'],
        );
        assert.deepEqual({ ...rows[0] }, { ...r1.inserted[0] });
        const acct = await store.events.query({ kind: 'account', accountId: account }, q());
        assert.deepEqual(acct.map((r) => r.workspaceId).sort(), [null, other.id, ws].sort());
        assert.equal(await store.events.maxSeq(), Math.max(...[...r1.inserted, ...r2.inserted].map((r) => r.seq)));
      }));

    it('orders by (occurred, id), pages with keyset cursors and offsets, and bounds seq', () =>
      withStore(open, async (store, account, ws) => {
        const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const evs = Array.from({ length: 9 }, (_, i) => newEvent(account, ws, Math.floor(i / 3)));
        const { inserted } = await store.events.append(evs);
        const expected = [...evs].sort((x, y) => x.occurred - y.occurred || (x.id < y.id ? -1 : 1)).map((e) => e.id);
        assert.deepEqual(
          (await store.events.query(scope, q())).map((r) => r.id),
          expected,
        );
        assert.deepEqual(
          (await store.events.query(scope, q({ order: 'DESC' }))).map((r) => r.id),
          [...expected].reverse(),
        );
        const page1 = await store.events.query(scope, q({ limit: 4 }));
        const last = page1[3];
        const page2 = await store.events.query(
          scope,
          q({ limit: 10, after: { occurred: last.occurred, id: last.id } }),
        );
        assert.deepEqual(
          [...page1, ...page2].map((r) => r.id),
          expected,
        );
        assert.deepEqual(
          (await store.events.query(scope, q({ offset: 7 }))).map((r) => r.id),
          expected.slice(7),
        );
        const mid = inserted[4].seq;
        assert.equal((await store.events.query(scope, q({ maxSeq: mid }))).length, 5);
        assert.equal((await store.events.query(scope, q({ minSeq: mid }))).length, 4);
        assert.equal(await store.events.count(scope, { filter: ALL, order: 'ASC' }), 9);
        assert.equal(await store.events.count(scope, { filter: ALL, order: 'ASC', maxSeq: mid }), 5);
        assert.equal(
          await store.events.count(scope, { filter: { ...ALL, since: T0 + 1000, until: T0 + 1000 }, order: 'ASC' }),
          3,
        );
      }));

    it('counts exactly what a snapshot pages through, over whole hours and partial ones, as events keep arriving', () =>
      withStore(open, async (store, account, ws) => {
        const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const HOUR = 3_600_000_000;
        const base = Math.floor(T0 / HOUR) * HOUR;
        // Every 7 minutes for 6 hours, three resources; the later batch brings a name of its own.
        const batch = (n: number, shift: number) =>
          Array.from({ length: n }, (_, i) =>
            newEvent(account, ws, 0, {
              occurred: base + i * 420_000_000 + shift,
              event:
                i % 3 === 0
                  ? 'conf.task-run.started'
                  : shift && i % 3 === 2
                    ? 'conf.flow-run.crashed'
                    : 'conf.flow-run.completed',
              resourceId: `prefect.flow-run.r${i % 3}`,
              resource: { 'prefect.resource.id': `prefect.flow-run.r${i % 3}` },
            }),
          );
        const first = batch(52, 0);
        await store.events.append(first);
        const snapshot = await store.events.maxSeq();
        // Later arrivals inside and around the window, also in its whole hours.
        const later = batch(52, 60_000_000);
        await store.events.append(later);
        const windows = [
          { since: base + 1_800_000_000, until: base + 4 * HOUR + 900_000_000 }, // partial hours at both edges
          { since: base, until: base + 3 * HOUR - 1 }, // whole hours only
          { since: base + 600_000_000, until: base + 1_200_000_000 }, // inside one hour
        ];
        const filters: [Partial<EventFilter>, (e: NewEvent) => boolean][] = [
          [{}, () => true],
          [{ event: { prefix: ['conf.flow-run.'] } }, (e) => e.event.startsWith('conf.flow-run.')],
          [{ event: { prefix: ['conf.nothing.'] } }, () => false],
          [{ event: { name: ['conf.task-run.started'] } }, (e) => e.event === 'conf.task-run.started'],
          [{ resource: { id: ['prefect.flow-run.r1'] } }, (e) => e.resourceId === 'prefect.flow-run.r1'],
        ];
        for (const w of windows) {
          for (const [f, match] of filters) {
            const filter = { ...w, ...f };
            for (const maxSeq of [snapshot, undefined]) {
              const expected = [...first, ...(maxSeq === undefined ? later : [])].filter(
                (e) => e.occurred >= w.since && e.occurred <= w.until && match(e),
              );
              const rows = await store.events.query(scope, q({ filter, maxSeq, limit: 1000 }));
              const label = `${JSON.stringify(f)} in [${w.since - base}, ${w.until - base}] up to ${maxSeq ?? 'now'}`;
              assert.deepEqual(rows.map((r) => r.id).sort(), expected.map((e) => e.id).sort(), label);
              assert.equal(await store.events.count(scope, { filter, order: 'DESC', maxSeq }), expected.length, label);
            }
          }
        }
      }));

    it('keeps one event per resource with distinct, and counts resources', () =>
      withStore(open, async (store, account, ws) => {
        const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const r = (id: string) => ({ resourceId: id, resource: { 'prefect.resource.id': id } });
        await store.events.append([
          newEvent(account, ws, 1, r('res.a')),
          newEvent(account, ws, 2, r('res.b')),
          newEvent(account, ws, 3, r('res.a')),
        ]);
        const filter = { ...ALL, resource: { distinct: true } };
        assert.deepEqual(
          (await store.events.query(scope, q({ filter }))).map((e) => e.event),
          ['conf.event.1', 'conf.event.2'],
        );
        assert.deepEqual(
          (await store.events.query(scope, q({ filter, order: 'DESC' }))).map((e) => e.event),
          ['conf.event.3', 'conf.event.2'],
        );
        assert.equal(await store.events.count(scope, { filter, order: 'ASC' }), 2);
      }));

    it('finds related ids exactly, never inside another label or in the primary resource', () =>
      withStore(open, async (store, account, ws) => {
        const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const target = 'prefect.flow-run.abc';
        await store.events.append([
          newEvent(account, ws, 1, {
            related: [{ 'prefect.resource.id': target, 'prefect.resource.role': 'flow-run' }],
          }),
          newEvent(account, ws, 2, {
            related: [
              {
                'prefect.resource.id': 'x',
                'prefect.resource.role': 'thing',
                note: `"prefect.resource.id":"${target}"`,
              },
            ],
          }),
          newEvent(account, ws, 3, { resourceId: target, resource: { 'prefect.resource.id': target } }),
          newEvent(account, ws, 4, {
            related: [{ 'prefect.resource.id': `${target}-longer`, 'prefect.resource.role': 'flow-run' }],
          }),
        ]);
        const filter = { ...ALL, related: [{ id: [target] }] };
        assert.deepEqual(
          (await store.events.query(scope, q({ filter }))).map((e) => e.event),
          ['conf.event.1'],
        );
        assert.equal(await store.events.count(scope, { filter, order: 'ASC' }), 1);
      }));

    it('round-trips labels, related resources, payloads and follows', () =>
      withStore(open, async (store, account, ws) => {
        const e = newEvent(account, ws, 1, {
          related: [
            {
              'prefect.resource.id': 'prefect.flow.x',
              'prefect.resource.role': 'flow',
              'prefect.resource.name': 'ünïcode "q"',
            },
          ],
          payload: { nested: { list: [1, 'two', null], flag: true } },
          follows: uuid7(),
        });
        await store.events.append([e]);
        const [row] = await store.events.query({ kind: 'workspace', accountId: account, workspaceId: ws }, q());
        assert.deepEqual(row.related, e.related);
        assert.deepEqual(row.payload, e.payload);
        assert.equal(row.follows, e.follows);
        assert.equal(row.accountId, account);
        assert.equal(row.workspaceId, ws);
      }));
  });
}
