import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CountKey, EventFilter, EventScope } from '../../domain/events.ts';
import { newEvent } from './events.ts';
import type { OpenTestStore } from './index.ts';
import { otherWorkspace, withAccountStore as withStore } from './run-fixtures.ts';

const HOUR = 3_600_000_000;
const BASE = 1_741_564_800_000_000; // 2025-03-10T00:00:00Z

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

export function eventDerivedConformance(open: OpenTestStore): void {
  describe('events: count-by, run events, tags', () => {
    it('counts the same from rollups as exactly, for every key, window edge and filter the rollups answer', () =>
      withStore(open, async (store, account, ws) => {
        const other = await otherWorkspace(store);
        const rand = rng(7);
        const evs = Array.from({ length: 300 }, (_, i) => {
          const r = `res.${Math.floor(rand() * 6)}`;
          const tenant = rand() < 0.2 ? other.id : rand() < 0.1 ? null : ws;
          return newEvent(account, tenant, i, {
            occurred: BASE + Math.floor(rand() * 30 * HOUR),
            event: `evt.${['a', 'b', 'c'][Math.floor(rand() * 3)]}`,
            resourceId: r,
            resource: { 'prefect.resource.id': r, 'prefect.resource.name': `name-${i}` },
            related:
              rand() < 0.4
                ? [
                    {
                      'prefect.resource.id': `user.${Math.floor(rand() * 3)}`,
                      'prefect.resource.role': 'actor',
                      'prefect.resource.name': `User ${i}`,
                    },
                  ]
                : [],
          });
        });
        // Appended in several transactions, so rollup rows are upserted, not only inserted.
        for (let i = 0; i < evs.length; i += 70) await store.events.append(evs.slice(i, i + 70));
        const scopes: EventScope[] = [
          { kind: 'workspace', accountId: account, workspaceId: ws },
          { kind: 'account', accountId: account },
        ];
        const filters: Partial<EventFilter>[] = [
          {},
          { event: { prefix: ['evt.a', 'evt.b'] } },
          { event: { exclude_name: ['evt.c'] } },
          { resource: { id: ['res.1', 'res.2'] } },
        ];
        const windows = [
          [BASE, BASE + 30 * HOUR],
          [BASE + 1234, BASE + 17 * HOUR + 999],
          [BASE + 2 * HOUR + 5, BASE + 2 * HOUR + HOUR / 2],
        ];
        const keys: CountKey[] = ['time', 'event', 'resource', 'workspace', 'actor'];
        const norm = (rows: { value: string; label: string | null; count: number; first: number; last: number }[]) =>
          rows.map((r) => ({ ...r })).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
        for (const scope of scopes) {
          for (const f of filters) {
            for (const [since, until] of windows) {
              for (const key of keys) {
                const filter: EventFilter = { since, until, ...f };
                const buckets = key === 'time' ? { origin: BASE - 24 * HOUR, width: 2 * HOUR } : undefined;
                const viaRollups = await store.events.countBy(scope, key, filter, buckets);
                // any_resource with no condition matches every event and forces the exact path.
                const exact = await store.events.countBy(scope, key, { ...filter, any_resource: [{}] }, buckets);
                assert.deepEqual(
                  norm(viaRollups),
                  norm(exact),
                  `${scope.kind} ${key} ${JSON.stringify(f)} ${since}-${until}`,
                );
                const total = await store.events.count(scope, { filter, order: 'ASC' });
                assert.equal(
                  viaRollups.reduce((a, r) => a + r.count, 0),
                  total,
                );
              }
            }
          }
        }
      }));

    it('counts by actor: the first related resource with role actor, or none', () =>
      withStore(open, async (store, account, ws) => {
        const actor = (id: string, name?: string) => ({
          'prefect.resource.id': id,
          'prefect.resource.role': 'actor',
          ...(name ? { 'prefect.resource.name': name } : {}),
        });
        await store.events.append([
          newEvent(account, ws, 1, { related: [actor('user.a', 'Ann')] }),
          newEvent(account, ws, 2, { related: [actor('user.a', 'Ann B.'), actor('user.b')] }),
          newEvent(account, ws, 3, { related: [actor('user.b')] }),
          newEvent(account, ws, 4),
        ]);
        const rows = await store.events.countBy({ kind: 'workspace', accountId: account, workspaceId: ws }, 'actor', {
          since: 0,
          until: BASE * 2,
        });
        const byValue = Object.fromEntries(rows.map((r) => [r.value, [r.count, r.label]]));
        assert.deepEqual(byValue, { 'user.a': [2, 'Ann B.'], 'user.b': [1, null], '': [1, null] });
      }));

    it("returns a flow run's events and counts them from counters", () =>
      withStore(open, async (store, account, ws) => {
        const run = 'dddddddd-0000-4000-8000-000000000001';
        const flowRun = {
          resourceId: `prefect.flow-run.${run}`,
          resource: { 'prefect.resource.id': `prefect.flow-run.${run}` },
        };
        const task = (i: number, role = 'flow-run') =>
          newEvent(account, ws, i, {
            resourceId: `prefect.task-run.t${i}`,
            resource: { 'prefect.resource.id': `prefect.task-run.t${i}` },
            related: [{ 'prefect.resource.id': `prefect.flow-run.${run}`, 'prefect.resource.role': role }],
          });
        const a = newEvent(account, ws, 1, flowRun);
        await store.events.append([
          a,
          task(2),
          newEvent(account, ws, 3, flowRun),
          task(4, 'parent'),
          newEvent(account, null, 5, flowRun),
        ]);
        await store.events.append([a]);
        const get = (withTaskRuns: boolean, order: 'ASC' | 'DESC' = 'ASC', offset = 0, limit = 10) =>
          store.events.runEvents(ws, run, { withTaskRuns, order, offset, limit }).then((r) => r.map((e) => e.event));
        assert.deepEqual(await get(true), ['conf.event.1', 'conf.event.2', 'conf.event.3']);
        assert.deepEqual(await get(false, 'DESC'), ['conf.event.3', 'conf.event.1']);
        assert.deepEqual(await get(true, 'ASC', 1, 1), ['conf.event.2']);
        assert.equal(await store.events.runEventCount(ws, run, true), 3);
        assert.equal(await store.events.runEventCount(ws, run, false), 2);
        assert.equal(await store.events.runEventCount(ws, 'dddddddd-0000-4000-8000-000000000009', true), 0);
      }));

    it('keeps the tag index: upsert from events, search, sort, paging, delete', () =>
      withStore(open, async (store, account, ws) => {
        const tag = (n: string) => ({ 'prefect.resource.id': `prefect.tag.${n}`, 'prefect.resource.role': 'tag' });
        await store.events.append([
          newEvent(account, ws, 5, { related: [tag('alpha'), tag('beta')] }),
          newEvent(account, ws, 1, { related: [tag('alpha')] }),
          newEvent(account, ws, 9, {
            related: [tag('Gamma'), { 'prefect.resource.id': 'prefect.tag.no', 'prefect.resource.role': 'flow' }],
          }),
          newEvent(account, null, 9, { related: [tag('account-only')] }),
        ]);
        const all = await store.tags.list(ws, { sort: 'LAST_SEEN_DESC', limit: 10, offset: 0 });
        assert.equal(all.count, 3);
        assert.deepEqual(
          all.results.map((t) => t.name),
          ['Gamma', 'alpha', 'beta'],
        );
        const alpha = all.results.find((t) => t.name === 'alpha')!;
        assert.equal(alpha.count, 2);
        assert.equal(alpha.firstSeen, BASE_EVENT + 1000);
        assert.equal(alpha.lastSeen, BASE_EVENT + 5000);
        assert.deepEqual(
          (await store.tags.list(ws, { sort: 'NAME_ASC', limit: 1, offset: 1, search: 'A' })).results.map(
            (t) => t.name,
          ),
          ['alpha'],
        );
        await store.tags.delete(ws, 'alpha');
        await store.tags.delete(ws, 'unknown');
        assert.deepEqual(
          (await store.tags.list(ws, { sort: 'NAME_ASC', limit: 10, offset: 0 })).results.map((t) => t.name),
          ['Gamma', 'beta'],
        );
      }));
  });
}

/** `newEvent`'s base time (2024-05-01T12:00:00Z); event i occurs i ms later. */
const BASE_EVENT = 1_714_564_800_000_000;
