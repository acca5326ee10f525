import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4, uuid7 } from '../../domain/ids.ts';
import type { OpenTestStore } from './index.ts';
import { flow, flowRun, otherWorkspace, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';

const pick = <T extends object, K extends keyof T>(o: T, keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

const SPAN_OUTLINE = [
  'span_id',
  'parent_span_id',
  'depth',
  'span_type',
  'name',
  'state_type',
  'state_name',
  'start_time',
  'end_time',
] as const;
const TASK_OUTLINE = [
  'id',
  'name',
  'task_key',
  'dynamic_key',
  'state_name',
  'run_count',
  'start_time',
  'end_time',
] as const;

export function traceConformance(open: OpenTestStore): void {
  describe('traces', () => {
    it('counts the root flow run among the flow runs of its trace', () =>
      withStore(open, async (store, ws) => {
        const root = uuid4();
        assert.ok((await store.traces.flowRunIds(ws, root)).includes(root));
      }));

    it('outlines a whole trace and a run’s task runs as the full reads would, lighter', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const root = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        const t1 = (await store.taskRuns.create(ws, taskRun(root.id, 'a'), state('RUNNING', T0 + SEC))).run;
        await store.taskRuns.create(ws, taskRun(root.id, 'b', { dynamic_key: '7' }), state('FAILED', T0 + 2 * SEC));
        await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: t1.id }), state('RUNNING', T0 + 3 * SEC));
        await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0));

        const spans = await store.spans.list(ws, root.id, { filters: {}, descending: false, limit: 100 });
        assert.equal(spans.length, 4);
        const outline = await store.traces.outline(ws, root.id, 100);
        assert.deepEqual(
          outline.map((s) => ({ ...s })),
          spans.map((s) => pick(s, SPAN_OUTLINE)),
        );
        assert.deepEqual(await store.traces.outline(ws, root.id, 2), outline.slice(0, 2));

        const tasks = await store.taskRuns.filter(ws, {
          filters: { flow_runs: { operator: 'and_', id: { any_: [root.id] } } },
          sort: 'EXPECTED_START_TIME_ASC',
          limit: 100,
          offset: 0,
          now: T0,
        });
        assert.equal(tasks.length, 2);
        assert.deepEqual(
          (await store.traces.taskRunOutlines(ws, root.id, 100)).map((t) => ({ ...t })),
          tasks.map((t) => pick(t, TASK_OUTLINE)),
        );
        assert.equal((await store.traces.taskRunOutlines(ws, root.id, 1)).length, 1);

        const other = (await otherWorkspace(store, 'o', 'o')).id;
        assert.deepEqual(await store.traces.outline(other, root.id, 100), []);
        assert.deepEqual(await store.traces.taskRunOutlines(other, root.id, 100), []);
        assert.deepEqual(await store.traces.outline(ws, uuid7(), 100), []);
      }));
  });
}
