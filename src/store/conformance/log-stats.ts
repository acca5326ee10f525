import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4 } from '../../domain/ids.ts';
import type { ObservedLoggerQuery } from '../../domain/observed-loggers.ts';
import type { OpenTestStore } from './index.ts';
import { newLog as log } from './log-fixtures.ts';
import { otherWorkspace, T0, withStore } from './run-fixtures.ts';

const byName = (
  orderBy: ObservedLoggerQuery['orderBy'] = 'NAME_ASC',
  over: Partial<ObservedLoggerQuery> & { flowRunIds?: string[] } = {},
) => ({
  orderBy,
  limit: 200,
  ...over,
});

export function logStatsConformance(open: OpenTestStore): void {
  describe('log statistics and live reads', () => {
    it('keeps per-run counters that change with every append to the run', () =>
      withStore(open, async (store, ws) => {
        const run = uuid4();
        const other = uuid4();
        assert.equal(await store.logs.runStats(ws, run), undefined);
        const a = await store.logs.append([log(ws, { flow_run_id: run }), log(ws, { flow_run_id: other }), log(ws)]);
        assert.deepEqual(await store.logs.runStats(ws, run), { count: 1, maxSeq: a[0].seq, warnings: 0, errors: 0 });
        const b = await store.logs.append([
          log(ws, { flow_run_id: run }),
          log(ws, { flow_run_id: run, timestamp: T0 - 5 }),
        ]);
        assert.deepEqual(await store.logs.runStats(ws, run), { count: 3, maxSeq: b[1].seq, warnings: 0, errors: 0 });
        assert.deepEqual(await store.logs.runStats(ws, other), { count: 1, maxSeq: a[1].seq, warnings: 0, errors: 0 });
        const ws2 = await otherWorkspace(store);
        assert.equal(await store.logs.runStats(ws2.id, run), undefined, 'counters are per workspace');
      }));

    it('counts each run’s warnings (30–39) and errors (≥ 40) at ingest, and forgets deleted ones', () =>
      withStore(open, async (store, ws) => {
        const run = uuid4();
        const task = uuid4();
        const levels = [10, 20, 30, 39, 40, 50, 99];
        const rows = await store.logs.append(
          levels.map((level, i) => log(ws, { flow_run_id: run, level, task_run_id: i < 3 ? task : null })),
        );
        const stats = await store.logs.runStats(ws, run);
        assert.deepEqual([stats?.warnings, stats?.errors], [2, 3]);
        assert.equal(await store.logs.count(ws, { operator: 'and_', flow_run_id: { any_: [run] } }), 7);
        assert.equal(
          await store.logs.count(ws, { operator: 'and_', flow_run_id: { any_: [run] }, task_run_id: { any_: [task] } }),
          3,
        );
        assert.equal((await store.logs.getInRun(ws, run, rows[4].id))?.level, 40);
        assert.equal(await store.logs.getInRun(ws, uuid4(), rows[4].id), undefined, 'another run’s log');
        await store.logs.deleteForRuns(ws, { flowRunIds: [], taskRunIds: [task] });
        const left = await store.logs.runStats(ws, run);
        assert.deepEqual([left?.count, left?.warnings, left?.errors], [4, 1, 3]);
      }));

    it('keeps logger statistics: counts, earliest and latest timestamps, order, prefix and limit', () =>
      withStore(open, async (store, ws) => {
        await store.logs.append([
          log(ws, { name: 'b.one', timestamp: T0 + 50 }),
          log(ws, { name: 'b.one', timestamp: T0 + 10 }),
          log(ws, { name: 'a.two', timestamp: T0 + 50 }),
          log(ws, { name: 'B.upper', timestamp: T0 + 5 }),
        ]);
        await store.logs.append([
          log(ws, { name: 'c', timestamp: T0 + 20 }),
          log(ws, { name: 'b.one', timestamp: T0 + 30 }),
        ]);
        const names = async (q: ObservedLoggerQuery) => (await store.logs.observedLoggers(ws, q)).map((l) => l.name);
        assert.deepEqual(await store.logs.observedLoggers(ws, byName('NAME_ASC', { prefix: 'b.' })), [
          { name: 'b.one', count: 3, firstSeen: T0 + 10, lastSeen: T0 + 50 },
        ]);
        assert.deepEqual(await names(byName('NAME_ASC')), ['B.upper', 'a.two', 'b.one', 'c'], 'code point order');
        assert.deepEqual(await names(byName('LAST_SEEN_DESC')), ['a.two', 'b.one', 'c', 'B.upper'], 'ties by name');
        assert.deepEqual(await names(byName('LAST_SEEN_DESC', { limit: 2 })), ['a.two', 'b.one']);
        assert.deepEqual(await names(byName('NAME_ASC', { prefix: 'B' })), ['B.upper'], 'prefix is case-sensitive');
        assert.deepEqual(await names(byName('NAME_ASC', { prefix: 'zz' })), []);
      }));

    it('keeps logger statistics per flow run, summed over a set of runs', () =>
      withStore(open, async (store, ws) => {
        const r1 = uuid4();
        const r2 = uuid4();
        await store.logs.append([
          log(ws, { flow_run_id: r1, name: 'x', timestamp: T0 + 1 }),
          log(ws, { flow_run_id: r2, name: 'x', timestamp: T0 + 9 }),
          log(ws, { flow_run_id: r2, name: 'y', timestamp: T0 + 3 }),
          log(ws, { name: 'z', timestamp: T0 + 100 }),
        ]);
        assert.deepEqual(await store.logs.observedLoggers(ws, byName('NAME_ASC', { flowRunIds: [r1] })), [
          { name: 'x', count: 1, firstSeen: T0 + 1, lastSeen: T0 + 1 },
        ]);
        assert.deepEqual(await store.logs.observedLoggers(ws, byName('LAST_SEEN_DESC', { flowRunIds: [r1, r2] })), [
          { name: 'x', count: 2, firstSeen: T0 + 1, lastSeen: T0 + 9 },
          { name: 'y', count: 1, firstSeen: T0 + 3, lastSeen: T0 + 3 },
        ]);
        assert.deepEqual(await store.logs.observedLoggers(ws, byName('NAME_ASC', { flowRunIds: [] })), []);
        assert.deepEqual(await store.logs.observedLoggers(ws, byName('NAME_ASC', { flowRunIds: [uuid4()] })), []);
        assert.equal(
          (await store.logs.observedLoggers(ws, byName())).length,
          3,
          'workspace-wide includes logs without a run',
        );
      }));

    it('keeps exact statistics under concurrent appends to the same runs and loggers', () =>
      withStore(open, async (store, ws) => {
        const runs = [uuid4(), uuid4(), uuid4()];
        const names = ['a', 'b', 'c', 'd'];
        // Each writer touches the keys in a different order: a store that locked rows in input
        // order could deadlock here.
        await Promise.all(
          Array.from({ length: 12 }, (_, w) =>
            store.logs.append(
              Array.from({ length: 50 }, (_, i) =>
                log(ws, {
                  flow_run_id: runs[(i + w) % 3],
                  name: names[(w % 2 ? 50 - i : i) % 4],
                  timestamp: T0 + w * 100 + i,
                }),
              ),
            ),
          ),
        );
        const counts = await Promise.all(runs.map((r) => store.logs.runStats(ws, r)));
        assert.deepEqual(
          counts.map((c) => c?.count),
          [200, 200, 200],
        );
        const loggers = await store.logs.observedLoggers(ws, byName());
        assert.equal(
          loggers.reduce((n, l) => n + l.count, 0),
          600,
        );
        const perRun = await store.logs.observedLoggers(ws, byName('NAME_ASC', { flowRunIds: runs }));
        assert.deepEqual(
          perRun.map((l) => [l.name, l.count]),
          loggers.map((l) => [l.name, l.count]),
        );
        assert.equal(Math.min(...loggers.map((l) => l.firstSeen)), T0);
        assert.equal(Math.max(...loggers.map((l) => l.lastSeen)), T0 + 11 * 100 + 49);
      }));

    it('reads a workspace’s logs by seq range for live subscribers', () =>
      withStore(open, async (store, ws) => {
        const ws2 = await otherWorkspace(store);
        const start = await store.logs.lastSeq();
        const rows = await store.logs.append([
          log(ws, { message: '1', timestamp: T0 + 9 }),
          log(ws2.id, { message: 'other' }),
          log(ws, { message: '2', timestamp: T0 }),
          log(ws, { message: '3' }),
        ]);
        const last = await store.logs.lastSeq();
        assert.ok(start < rows[0].seq);
        assert.equal(last, rows[3].seq);
        const msgs = async (after: number, upTo: number, limit = 100) =>
          (await store.logs.tail(ws, { after, upTo, limit })).map((r) => r.message);
        assert.deepEqual(await msgs(start, last), ['1', '2', '3'], 'seq order, not timestamp order');
        assert.deepEqual(await msgs(start, last, 2), ['1', '2']);
        assert.deepEqual(await msgs(rows[0].seq, rows[2].seq), ['2']);
        assert.deepEqual(await msgs(last, last + 100), []);
        assert.deepEqual(
          (await store.logs.tail(ws2.id, { after: start, upTo: last, limit: 10 })).map((r) => r.message),
          ['other'],
        );
        assert.deepEqual(
          { ...(await store.logs.tail(ws, { after: start, upTo: rows[0].seq, limit: 1 }))[0] },
          rows[0],
          'complete rows',
        );
      }));
  });
}
