import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4 } from '../../domain/ids.ts';
import type { LogFilter, NewLog } from '../../domain/logs.ts';
import type { OpenTestStore } from './index.ts';
import { newLog, logQuery as q } from './log-fixtures.ts';
import { otherWorkspace, T0, withStore } from './run-fixtures.ts';

function log(workspaceId: string, i: number, over: Partial<NewLog> = {}): NewLog {
  return newLog(workspaceId, { message: `message ${i}`, timestamp: T0 + i * 1000, ...over });
}

export function logConformance(open: OpenTestStore): void {
  describe('logs', () => {
    it('reads integers stored beyond ±(2^53−1) clamped to that bound instead of failing', () =>
      withStore(open, async (store, ws) => {
        const run = uuid4();
        await store.logs.append([
          log(ws, 1, { timestamp: 2 ** 60, created: 2 ** 61, flow_run_id: run }),
          log(ws, 2, { timestamp: -(2 ** 60), flow_run_id: run }),
        ]);
        const read = await store.logs.filter(ws, q({ flow_run_id: { any_: [run] } }));
        assert.deepEqual(
          read.map((r) => [r.timestamp, r.created]),
          [
            [Number.MIN_SAFE_INTEGER, T0],
            [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
          ],
        );
      }));

    it('appends and returns rows with increasing seq, in input order', () =>
      withStore(open, async (store, ws) => {
        const rows = await store.logs.append([log(ws, 2), log(ws, 1)]);
        assert.equal(rows.length, 2);
        assert.ok(rows[1].seq > rows[0].seq);
        const read = await store.logs.filter(ws, q());
        assert.deepEqual(
          read.map((r) => r.message),
          ['message 1', 'message 2'],
        );
        assert.deepEqual({ ...read[1] }, rows[0]);
      }));

    it('breaks timestamp ties by insertion order in both directions', () =>
      withStore(open, async (store, ws) => {
        await store.logs.append([0, 1, 2].map((i) => log(ws, 0, { message: `tie ${i}` })));
        const asc = await store.logs.filter(ws, q());
        assert.deepEqual(
          asc.map((r) => r.message),
          ['tie 0', 'tie 1', 'tie 2'],
        );
        const desc = await store.logs.filter(ws, q({}, { sort: 'TIMESTAMP_DESC' }));
        assert.deepEqual(
          desc.map((r) => r.message),
          ['tie 2', 'tie 1', 'tie 0'],
        );
      }));

    it('pages with keyset cursors in both directions and with offset', () =>
      withStore(open, async (store, ws) => {
        await store.logs.append(Array.from({ length: 10 }, (_, i) => log(ws, i % 5, { message: `m${i}` })));
        const all = await store.logs.filter(ws, q());
        const first = await store.logs.filter(ws, q({}, { limit: 4 }));
        const last = first[3];
        const next = await store.logs.filter(
          ws,
          q({}, { limit: 4, after: { timestamp: last.timestamp, seq: last.seq } }),
        );
        assert.deepEqual(
          [...first, ...next].map((r) => r.seq),
          all.slice(0, 8).map((r) => r.seq),
        );
        const back = await store.logs.filter(
          ws,
          q({}, { sort: 'TIMESTAMP_DESC', limit: 3, after: { timestamp: next[0].timestamp, seq: next[0].seq } }),
        );
        assert.deepEqual(
          back.map((r) => r.seq),
          all
            .slice(1, 4)
            .reverse()
            .map((r) => r.seq),
        );
        const offset = await store.logs.filter(ws, q({}, { offset: 7 }));
        assert.deepEqual(
          offset.map((r) => r.seq),
          all.slice(7).map((r) => r.seq),
        );
      }));

    it('applies every filter field, with and_ and or_', () =>
      withStore(open, async (store, ws) => {
        const run = uuid4();
        const task = uuid4();
        const worker = uuid4();
        await store.logs.append([
          log(ws, 0, { level: 10, message: 'debug line' }),
          log(ws, 1, { level: 40, message: 'error line', flow_run_id: run }),
          log(ws, 2, {
            level: 20,
            message: 'task line',
            flow_run_id: run,
            task_run_id: task,
            name: 'prefect.task_runs',
          }),
          log(ws, 3, { level: 30, message: 'worker line', worker_id: worker, name: 'my.worker' }),
        ]);
        const msgs = async (f: Partial<LogFilter>) => (await store.logs.filter(ws, q(f))).map((r) => r.message);
        assert.deepEqual(await msgs({ level: { ge_: 30 } }), ['error line', 'worker line']);
        assert.deepEqual(await msgs({ level: { ge_: 20, le_: 30 } }), ['task line', 'worker line']);
        assert.deepEqual(await msgs({ timestamp: { after_: T0 + 1000, before_: T0 + 2000 } }), [
          'error line',
          'task line',
        ]);
        assert.deepEqual(await msgs({ flow_run_id: { any_: [run] } }), ['error line', 'task line']);
        assert.deepEqual(await msgs({ flow_run_id: { any_: [] } }), []);
        assert.deepEqual(await msgs({ task_run_id: { any_: [task] } }), ['task line']);
        assert.deepEqual(await msgs({ task_run_id: { is_null_: false } }), ['task line']);
        assert.equal((await msgs({ task_run_id: { is_null_: true } })).length, 3);
        assert.deepEqual(await msgs({ worker_id: { any_: [worker] } }), ['worker line']);
        assert.deepEqual(await msgs({ worker_id: { is_null_: false } }), ['worker line']);
        assert.equal((await msgs({ worker_id: { not_any_: [worker] } })).length, 3);
        assert.deepEqual(await msgs({ loggers: { any_: ['my.worker', 'prefect.task_runs'] } }), [
          'task line',
          'worker line',
        ]);
        assert.deepEqual(await msgs({ operator: 'or_', level: { ge_: 40 }, loggers: { any_: ['my.worker'] } }), [
          'error line',
          'worker line',
        ]);
        assert.deepEqual(await msgs({ operator: 'and_', level: { ge_: 40 }, loggers: { any_: ['my.worker'] } }), []);
      }));

    it('searches text with Prefect grammar, indexed or not, with complete results', () =>
      withStore(open, async (store, ws) => {
        await store.logs.append([
          log(ws, 0, { message: 'Connection timeout to DB' }),
          log(ws, 1, { message: 'connection refused' }),
          log(ws, 2, { message: 'all good', name: 'etl.extract' }),
          log(ws, 3, { message: 'say "hi" now' }),
        ]);
        const search = async (query: string) =>
          (await store.logs.filter(ws, q({ text: { query } }))).map((r) => r.message);
        const check = async () => {
          assert.deepEqual(await search('CONNECTION'), ['Connection timeout to DB', 'connection refused']);
          assert.deepEqual(await search('timeout refused'), ['Connection timeout to DB', 'connection refused']);
          assert.deepEqual(await search('connection -refused'), ['Connection timeout to DB']);
          assert.deepEqual(await search('connection !timeout'), ['connection refused']);
          assert.deepEqual(await search('+connection +db'), ['Connection timeout to DB']);
          assert.deepEqual(await search('"timeout to"'), ['Connection timeout to DB']);
          assert.deepEqual(await search('extract'), ['all good'], 'logger name is searched');
          assert.deepEqual(await search('"\\"hi\\""'), ['say "hi" now']);
          assert.deepEqual(await search('db'), ['Connection timeout to DB'], 'short terms scan');
          assert.equal((await search('-connection')).length, 2, 'exclusion-only');
          assert.equal((await search('   ')).length, 4, 'blank query matches all');
        };
        await check();
        while ((await store.logs.indexText(2)) > 0);
        assert.equal(await store.logs.textIndexLag(), 0);
        await check();
        await store.logs.append([log(ws, 4, { message: 'late connection' })]);
        assert.equal(await store.logs.textIndexLag(), 1);
        assert.deepEqual(await search('connection -timeout'), ['connection refused', 'late connection']);
      }));

    it('never hands out a seq again after the newest logs are deleted', () =>
      withStore(open, async (store, ws) => {
        const run = uuid4();
        await store.logs.append([log(ws, 0, { message: 'kept' })]);
        const [gone] = await store.logs.append([log(ws, 1, { message: 'doomed', flow_run_id: run })]);
        while ((await store.logs.indexText(100)) > 0);
        assert.equal(await store.logs.deleteForRuns(ws, { flowRunIds: [run], taskRunIds: [] }), 1);
        const [fresh] = await store.logs.append([log(ws, 2, { message: 'zebra crossing' })]);
        assert.ok(fresh.seq > gone.seq, `seq ${fresh.seq} after deleted ${gone.seq}`);
        const search = async () => (await store.logs.filter(ws, q({ text: { query: 'zebra' } }))).map((r) => r.message);
        assert.deepEqual(await search(), ['zebra crossing']);
        while ((await store.logs.indexText(100)) > 0);
        assert.deepEqual(await search(), ['zebra crossing']);
      }));

    it('keeps workspaces apart', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        await store.logs.append([log(ws, 0, { message: 'in A' }), log(other.id, 0, { message: 'in B' })]);
        await store.logs.indexText(100);
        assert.deepEqual(
          (await store.logs.filter(ws, q())).map((r) => r.message),
          ['in A'],
        );
        assert.deepEqual(
          (await store.logs.filter(other.id, q({ text: { query: 'in' } }))).map((r) => r.message),
          ['in B'],
        );
      }));
  });
}
