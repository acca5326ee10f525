/**
 * `history` and `countBy` of the run stores: runs bucketed by expected start per state with their
 * summed run time and lateness, and runs counted by a column — filtered, per workspace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryQuery } from '../../domain/runs/history.ts';
import type { OpenTestStore } from './index.ts';
import { flow, flowRun, otherWorkspace, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';

const MIN = 60 * SEC;

function window(over: Partial<HistoryQuery> = {}): HistoryQuery {
  return {
    by: 'expected_start_time',
    filters: {},
    start: T0,
    end: T0 + 3 * MIN,
    interval: MIN,
    now: T0 + 10 * MIN,
    ...over,
  };
}

export function runHistoryConformance(open: OpenTestStore): void {
  describe('run history and counts', () => {
    it('buckets flow runs by expected start per state, summing run time (to now while running) and lateness', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const create = (at: number, type: 'PENDING' | 'SCHEDULED', over = {}) =>
          store.flowRuns.create(ws, flowRun(f.id, over), state(type, at));
        // Minute 0: two runs that finish in 10 s, one started 5 s late.
        for (const late of [0, 5 * SEC]) {
          const { run } = await create(T0 + SEC, 'PENDING');
          const running = state('RUNNING', T0 + SEC + late);
          await store.flowRuns.writeState(ws, run.id, { expectedStateId: run.state_id, state: running });
          await store.flowRuns.writeState(ws, run.id, {
            expectedStateId: running.id,
            state: state('COMPLETED', T0 + 11 * SEC + late),
          });
        }
        // Minute 1: a run still running since 90 s; minute 2: a run scheduled, never started.
        const { run: busy } = await create(T0 + 90 * SEC, 'PENDING', { tags: ['busy'] });
        await store.flowRuns.writeState(ws, busy.id, {
          expectedStateId: busy.state_id,
          state: state('RUNNING', T0 + 90 * SEC),
        });
        await create(T0 + 2 * MIN + SEC, 'SCHEDULED');
        // Outside the window.
        await create(T0 + 4 * MIN, 'SCHEDULED');

        const rows = (await store.flowRuns.history(ws, window())).sort((a, b) => a.bucket - b.bucket);
        assert.deepEqual(
          rows.map((r) => [r.bucket, r.state_type, r.count, r.runTime, r.lateness]),
          [
            [0, 'COMPLETED', 2, 20 * SEC, 5 * SEC],
            [1, 'RUNNING', 1, 10 * MIN - 90 * SEC, 0],
            // Never started and past due: late by now − expected start.
            [2, 'SCHEDULED', 1, 0, 10 * MIN - (2 * MIN + SEC)],
          ],
        );
        const tagged = await store.flowRuns.history(
          ws,
          window({ filters: { flow_runs: { operator: 'and_', tags: { operator: 'and_', all_: ['busy'] } } } }),
        );
        assert.deepEqual(
          tagged.map((r) => r.state_type),
          ['RUNNING'],
        );
        const other = await otherWorkspace(store);
        assert.deepEqual(await store.flowRuns.history(other.id, window()), []);
      }));

    it('counts task runs by state and by flow run', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const a = (await store.flowRuns.create(ws, flowRun(f.id), state('PENDING', T0))).run;
        const b = (await store.flowRuns.create(ws, flowRun(f.id), state('PENDING', T0))).run;
        await store.taskRuns.create(ws, taskRun(a.id, 'x'), state('PENDING', T0));
        await store.taskRuns.create(ws, taskRun(a.id, 'y'), state('COMPLETED', T0));
        await store.taskRuns.create(ws, taskRun(b.id, 'x'), state('COMPLETED', T0));
        const byState = await store.taskRuns.countBy(ws, {}, 'state_type');
        assert.deepEqual(Object.fromEntries(byState), { PENDING: 1, COMPLETED: 2 });
        const byRun = await store.taskRuns.countBy(
          ws,
          { task_runs: { operator: 'and_', state: { operator: 'and_', type: { any_: ['COMPLETED'] } } } },
          'flow_run_id',
        );
        assert.deepEqual(Object.fromEntries(byRun), { [a.id]: 1, [b.id]: 1 });
        const other = await otherWorkspace(store);
        assert.equal((await store.taskRuns.countBy(other.id, {}, 'state_type')).size, 0);
      }));
  });
}
