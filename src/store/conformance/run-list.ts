/**
 * `FlowRunStore.list`'s conditions that the agent tools add: an id prefix, state types or names
 * (either matching), tags, a flow-name substring and top-level runs only — per workspace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunListQuery } from '../../domain/runs/run-list.ts';
import type { OpenTestStore } from './index.ts';
import { flow, flowRun, otherWorkspace, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';

export function runListConformance(open: OpenTestStore): void {
  describe('flow-run list conditions', () => {
    it('filters by id prefix, state types or names, tags, flow name and top-level runs', () =>
      withStore(open, async (store, ws) => {
        const etl = (await store.flows.upsert(ws, flow('Nightly-ETL'))).flow;
        const load = (await store.flows.upsert(ws, flow('load'))).flow;
        const names = new Map<string, string>();
        const make = async (name: string, flowId: string, type: 'COMPLETED' | 'FAILED' | 'RUNNING', over = {}) => {
          const { run } = await store.flowRuns.create(ws, flowRun(flowId, { name, ...over }), state('PENDING', T0));
          const s = state(type, T0 + names.size * SEC, type === 'RUNNING' ? { name: 'Retrying' } : {});
          await store.flowRuns.writeState(ws, run.id, { expectedStateId: run.state_id, state: s });
          names.set(run.id, name);
          return run;
        };
        await make('a', etl.id, 'COMPLETED', { tags: ['nightly', 'prod'] });
        const b = await make('b', etl.id, 'FAILED', { tags: ['adhoc'] });
        await make('c', etl.id, 'RUNNING');
        const task = await store.taskRuns.create(ws, taskRun(b.id, 'load'), state('RUNNING', T0));
        await make('sub', load.id, 'FAILED', { parent_task_run_id: task.run.id });
        const other = await otherWorkspace(store);
        const o = (await store.flows.upsert(other.id, flow('Nightly-ETL'))).flow;
        await store.flowRuns.create(
          other.id,
          flowRun(o.id, { name: 'elsewhere', tags: ['nightly'] }),
          state('FAILED', T0),
        );

        const list = async (q: Partial<RunListQuery>) =>
          (await store.flowRuns.list(ws, { descending: false, limit: 10, offset: 0, ...q })).rows
            .map((r) => names.get(r.run.id))
            .sort();
        assert.deepEqual(await list({ idPrefix: b.id.slice(0, 20) }), ['b']);
        assert.deepEqual(await list({ idPrefix: 'ffffffff' }), []);
        assert.deepEqual(await list({ stateTypes: ['FAILED'] }), ['b', 'sub']);
        assert.deepEqual(await list({ stateNames: ['Retrying'] }), ['c']);
        assert.deepEqual(await list({ stateTypes: ['COMPLETED'], stateNames: ['Retrying'] }), ['a', 'c'], 'either');
        assert.deepEqual(await list({ tags: ['nightly', 'adhoc'] }), ['a', 'b']);
        assert.deepEqual(await list({ flowName: 'nightly' }), ['a', 'b', 'c'], 'case-insensitive substring');
        assert.deepEqual(await list({ rootsOnly: true, stateTypes: ['FAILED'] }), ['b']);
        const { total } = await store.flowRuns.list(ws, {
          flowName: 'etl',
          tags: ['nightly'],
          descending: true,
          limit: 1,
          offset: 0,
        });
        assert.equal(total, 1, 'conditions combine, and the other workspace never counts');
      }));
  });
}
