import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid7 } from '../../domain/ids.ts';
import type { FlowRunSort, RunFilterSet } from '../../domain/runs/filters.ts';
import type { OpenTestStore } from './index.ts';
import { logQuery } from './log-fixtures.ts';
import { artifact, flow, flowRun, otherWorkspace, query, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';

export function flowRunConformance(open: OpenTestStore): void {
  describe('flows', () => {
    it('get-or-creates by name and keeps the first flow unchanged', () =>
      withStore(open, async (store, ws) => {
        const a = await store.flows.upsert(ws, flow('etl', { tags: ['x'] }));
        assert.equal(a.created, true);
        const b = await store.flows.upsert(ws, flow('etl', { tags: ['y'] }));
        assert.equal(b.created, false);
        assert.deepEqual(b.flow, a.flow);
        assert.deepEqual(await store.flows.get(ws, a.flow.id), a.flow);
        assert.equal(await store.flows.get(ws, uuid7()), undefined);
      }));

    it('keeps workspaces apart', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store, 'o', 'o');
        const a = await store.flows.upsert(ws, flow('etl'));
        const b = await store.flows.upsert(other.id, flow('etl'));
        assert.equal(b.created, true);
        assert.notEqual(a.flow.id, b.flow.id);
        assert.equal(await store.flows.get(other.id, a.flow.id), undefined);
        const r = await store.flowRuns.create(ws, flowRun(a.flow.id), state('PENDING', T0));
        assert.equal(await store.flowRuns.get(other.id, r.run.id), undefined);
        assert.equal((await store.flowRuns.filter(other.id, query('ID_DESC'))).length, 0);
      }));

    it('filters, counts and sorts flows, also through their runs', () =>
      withStore(open, async (store, ws) => {
        const a = (await store.flows.upsert(ws, flow('alpha', { tags: ['t1', 't2'], created: T0 + 2 }))).flow;
        const b = (await store.flows.upsert(ws, flow('beta', { created: T0 + 1 }))).flow;
        await store.flows.upsert(ws, flow('gamma', { tags: ['t1'], created: T0 + 3 }));
        await store.flowRuns.create(ws, flowRun(b.id, { tags: ['nightly'] }), state('PENDING', T0));
        const names = async (filters: RunFilterSet, sort: 'NAME_ASC' | 'NAME_DESC' | 'CREATED_DESC' = 'NAME_ASC') =>
          (await store.flows.filter(ws, query(sort, filters))).map((f) => f.name);
        assert.deepEqual(await names({}), ['alpha', 'beta', 'gamma']);
        assert.deepEqual(await names({}, 'NAME_DESC'), ['gamma', 'beta', 'alpha']);
        assert.deepEqual(await names({}, 'CREATED_DESC'), ['gamma', 'alpha', 'beta']);
        assert.deepEqual(await names({ flows: { operator: 'and_', name: { like_: 'AL' } } }), ['alpha']);
        assert.deepEqual(await names({ flows: { operator: 'and_', tags: { operator: 'and_', all_: ['t1'] } } }), [
          'alpha',
          'gamma',
        ]);
        assert.deepEqual(await names({ flows: { operator: 'and_', tags: { operator: 'and_', is_null_: true } } }), [
          'beta',
        ]);
        assert.deepEqual(await names({ flows: { operator: 'and_', id: { not_any_: [a.id] } } }), ['beta', 'gamma']);
        assert.deepEqual(
          await names({ flow_runs: { operator: 'and_', tags: { operator: 'and_', any_: ['nightly'] } } }),
          ['beta'],
        );
        assert.equal(
          await store.flows.count(ws, {
            flows: { operator: 'or_', name: { any_: ['alpha'] }, tags: { operator: 'and_', is_null_: true } },
          }),
          2,
        );
        assert.deepEqual(
          (await store.flows.filter(ws, query('NAME_ASC', {}, { limit: 1, offset: 1 }))).map((f) => f.name),
          ['beta'],
        );
      }));
  });

  describe('flow runs', () => {
    it('creates a run with its initial state and bookkeeping', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const init = state('PENDING', T0 + 5);
        const { run, created } = await store.flowRuns.create(
          ws,
          flowRun(f.id, { name: 'brave-otter', tags: ['a'] }),
          init,
        );
        assert.equal(created, true);
        const read = await store.flowRuns.get(ws, run.id);
        assert.deepEqual(read, run);
        assert.equal(read?.state_id, init.id);
        assert.equal(read?.state_type, 'PENDING');
        assert.equal(read?.expected_start_time, T0 + 5);
        assert.equal(read?.run_count, 0);
        assert.deepEqual(read?.state, init);
        assert.deepEqual(await store.flowRuns.states(ws, run.id), [init]);
        assert.deepEqual(await store.flowRuns.getState(ws, init.id), init);
      }));

    it('returns the existing run for a repeated idempotency key of the same flow', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const g = (await store.flows.upsert(ws, flow('other'))).flow;
        const a = await store.flowRuns.create(ws, flowRun(f.id, { idempotency_key: 'k' }), state('PENDING', T0));
        const b = await store.flowRuns.create(ws, flowRun(f.id, { idempotency_key: 'k' }), state('PENDING', T0 + 1));
        assert.equal(b.created, false);
        assert.equal(b.run.id, a.run.id);
        assert.equal(
          (await store.flowRuns.create(ws, flowRun(g.id, { idempotency_key: 'k' }), state('PENDING', T0))).created,
          true,
        );
        assert.equal(await store.flowRuns.count(ws, {}), 2);
      }));

    it('writes states compare-and-set, with bookkeeping', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const { run } = await store.flowRuns.create(ws, flowRun(f.id), state('PENDING', T0));
        const running = state('RUNNING', T0 + SEC);
        const stale = await store.flowRuns.writeState(ws, run.id, { expectedStateId: uuid7(), state: running });
        assert.deepEqual(stale, { outcome: 'conflict' });
        const w = await store.flowRuns.writeState(ws, run.id, { expectedStateId: run.state_id, state: running });
        assert.equal(w.outcome, 'written');
        assert.ok(w.outcome === 'written');
        assert.equal(w.previous?.type, 'PENDING');
        assert.equal(w.run.run_count, 1);
        assert.equal(w.run.start_time, T0 + SEC);
        const done = state('COMPLETED', T0 + 3 * SEC);
        const policy = { ...run.empirical_policy, retry_type: 'in_process' as const };
        await store.flowRuns.writeState(ws, run.id, {
          expectedStateId: running.id,
          state: done,
          empiricalPolicy: policy,
        });
        const read = await store.flowRuns.get(ws, run.id);
        assert.equal(read?.state_type, 'COMPLETED');
        assert.equal(read?.end_time, T0 + 3 * SEC);
        assert.equal(read?.total_run_time, 2 * SEC);
        assert.equal(read?.empirical_policy.retry_type, 'in_process');
        assert.deepEqual(
          (await store.flowRuns.states(ws, run.id)).map((s) => s.type),
          ['PENDING', 'RUNNING', 'COMPLETED'],
        );
        assert.deepEqual(await store.flowRuns.writeState(ws, uuid7(), { expectedStateId: null, state: done }), {
          outcome: 'not_found',
        });
      }));

    it('moves a subflow tracking task run along with the subflow', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('parent'))).flow;
        const parent = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        const tracking = (await store.taskRuns.create(ws, taskRun(parent.id, 'sub'), state('PENDING', T0 + 1))).run;
        const sub = (
          await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: tracking.id }), state('PENDING', T0 + 2))
        ).run;
        const running = state('RUNNING', T0 + SEC);
        await store.flowRuns.writeState(ws, sub.id, { expectedStateId: sub.state_id, state: running });
        const failed = { ...state('FAILED', T0 + 2 * SEC), message: 'boom', data: { storage_key: 'k' } };
        await store.flowRuns.writeState(ws, sub.id, { expectedStateId: running.id, state: failed });
        const t = await store.taskRuns.get(ws, tracking.id);
        assert.equal(t?.state_type, 'FAILED');
        assert.equal(t?.state_name, 'Failed');
        assert.equal(t?.state?.message, 'boom');
        assert.deepEqual(t?.state?.data, { storage_key: 'k' });
        assert.equal(t?.state?.state_details.child_flow_run_id, sub.id);
        assert.equal(t?.state?.state_details.task_run_id, tracking.id);
        assert.equal(t?.state?.state_details.flow_run_id, parent.id);
        assert.notEqual(t?.state_id, failed.id);
        assert.equal(t?.run_count, 1);
        assert.ok(t?.start_time !== null && t?.end_time !== null);
        assert.deepEqual(
          (await store.taskRuns.states(ws, tracking.id)).map((s) => s.type),
          ['PENDING', 'PENDING', 'RUNNING', 'FAILED'],
        );
      }));

    it('reads the latest state changes of many runs at once, per workspace', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('changes'))).flow;
        const a = (await store.flowRuns.create(ws, flowRun(f.id), state('PENDING', T0))).run;
        const running = state('RUNNING', T0 + SEC, { name: 'Retrying' });
        await store.flowRuns.writeState(ws, a.id, { expectedStateId: a.state_id, state: running });
        await store.flowRuns.writeState(ws, a.id, {
          expectedStateId: running.id,
          state: state('FAILED', T0 + 2 * SEC),
        });
        const b = (await store.flowRuns.create(ws, flowRun(f.id), state('SCHEDULED', T0 + 5))).run;
        const t = (await store.taskRuns.create(ws, taskRun(a.id, 'k'), state('PENDING', T0 + 1))).run;
        const elsewhere = await otherWorkspace(store);
        const foreign = (
          await store.flowRuns.create(
            elsewhere.id,
            flowRun((await store.flows.upsert(elsewhere.id, flow('x'))).flow.id),
            state('PENDING', T0),
          )
        ).run;

        const all = await store.flowRuns.stateChanges(ws, [a.id, b.id, t.id, foreign.id, uuid7()], 10);
        assert.deepEqual(
          [...all.keys()].sort(),
          [a.id, b.id].sort(),
          'task runs, other workspaces and unknown ids: none',
        );
        assert.deepEqual(all.get(a.id), {
          total: 3,
          states: [
            { type: 'PENDING', name: 'Pending', timestamp: T0 },
            { type: 'RUNNING', name: 'Retrying', timestamp: T0 + SEC },
            { type: 'FAILED', name: 'Failed', timestamp: T0 + 2 * SEC },
          ],
        });
        const latest = await store.flowRuns.stateChanges(ws, [a.id], 2);
        assert.deepEqual(
          latest.get(a.id)?.states.map((s) => s.type),
          ['RUNNING', 'FAILED'],
          'the latest two, oldest first',
        );
        assert.equal(latest.get(a.id)?.total, 3);
        assert.deepEqual((await store.taskRuns.stateChanges(ws, [t.id, a.id], 10)).get(t.id), {
          total: 1,
          states: [{ type: 'PENDING', name: 'Pending', timestamp: T0 + 1 }],
        });
        assert.equal((await store.flowRuns.stateChanges(ws, [], 10)).size, 0);
        assert.equal((await store.flowRuns.stateChanges(elsewhere.id, [a.id], 10)).size, 0);
      }));

    it('updates fields and merges labels', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const { run } = await store.flowRuns.create(
          ws,
          flowRun(f.id, { labels: { a: 1, b: 'x' } }),
          state('PENDING', T0),
        );
        assert.equal(
          await store.flowRuns.update(ws, run.id, {
            updated: T0 + 9,
            name: 'renamed',
            tags: ['t'],
            parameters: { n: 2 },
          }),
          true,
        );
        assert.equal(await store.flowRuns.mergeLabels(ws, run.id, { b: 'y', c: true }, T0 + 10), true);
        const read = await store.flowRuns.get(ws, run.id);
        assert.equal(read?.name, 'renamed');
        assert.deepEqual(read?.tags, ['t']);
        assert.deepEqual(read?.parameters, { n: 2 });
        assert.deepEqual(read?.labels, { a: 1, b: 'y', c: true });
        assert.equal(read?.updated, T0 + 10);
        assert.equal(await store.flowRuns.update(ws, uuid7(), { updated: T0 }), false);
        assert.equal(await store.flowRuns.mergeLabels(ws, uuid7(), {}, T0), false);
      }));

    it('deletes a run with its task runs, states and artifacts; keeps subflows and other runs', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const run = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        const keep = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        const tr = (await store.taskRuns.create(ws, taskRun(run.id, 'a'), state('PENDING', T0))).run;
        const kept = (await store.taskRuns.create(ws, taskRun(keep.id, 'a'), state('PENDING', T0))).run;
        const sub = (
          await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: tr.id }), state('PENDING', T0))
        ).run;
        await store.artifacts.create(ws, artifact({ flow_run_id: run.id }));
        await store.artifacts.create(ws, artifact({ flow_run_id: run.id, task_run_id: tr.id }));
        const other = await store.artifacts.create(ws, artifact({ flow_run_id: keep.id }));
        assert.equal(await store.flowRuns.delete(ws, run.id), true);
        assert.equal(await store.flowRuns.get(ws, run.id), undefined);
        assert.deepEqual(await store.flowRuns.states(ws, run.id), []);
        assert.equal(await store.taskRuns.get(ws, tr.id), undefined);
        assert.deepEqual(await store.taskRuns.states(ws, tr.id), []);
        assert.deepEqual(
          (await store.artifacts.filter(ws, query('ID_DESC'))).map((a) => a.id),
          [other.id],
        );
        assert.equal((await store.flowRuns.get(ws, sub.id))?.parent_task_run_id, null);
        assert.ok(await store.taskRuns.get(ws, kept.id));
        assert.equal(await store.flowRuns.delete(ws, run.id), false);
      }));

    it('deletes the logs of runs, and their statistics', () =>
      withStore(open, async (store, ws) => {
        const fr = uuid7();
        const other = uuid7();
        const tr = uuid7();
        const log = (flow_run_id: string | null, task_run_id: string | null, i: number, name = 'n') => ({
          workspaceId: ws,
          id: uuid7(),
          created: T0,
          name,
          level: 20,
          message: `m${i}`,
          timestamp: T0 + i,
          flow_run_id,
          task_run_id,
          worker_id: null,
        });
        await store.logs.append([
          log(fr, null, 1),
          log(fr, tr, 2, 'task'),
          log(null, tr, 3, 'task'),
          log(other, null, 4),
          log(fr, null, 5),
        ]);
        await store.logs.indexText(2);
        assert.equal(await store.logs.deleteForRuns(ws, { flowRunIds: [], taskRunIds: [tr] }), 2);
        assert.equal((await store.logs.runStats(ws, fr))?.count, 2);
        const many = await store.logs.runStatsMany(ws, [fr, other, tr]);
        assert.deepEqual(
          [...many].map(([id, st]) => [id, st.count]).sort(),
          [
            [fr, 2],
            [other, 1],
          ].sort(),
          'the runs with logs, each as runStats says',
        );
        assert.deepEqual(many.get(fr), await store.logs.runStats(ws, fr));
        assert.equal((await store.logs.runStatsMany(ws, [])).size, 0);
        const loggers = async (flowRunIds?: string[]) =>
          (await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, flowRunIds })).map((l) => [
            l.name,
            l.count,
          ]);
        assert.deepEqual(await loggers(), [['n', 3]]);
        assert.deepEqual(await loggers([fr]), [['n', 2]]);
        assert.equal(await store.logs.deleteForRuns(ws, { flowRunIds: [fr], taskRunIds: [] }), 2);
        assert.equal(await store.logs.deleteForRuns(ws, { flowRunIds: [], taskRunIds: [] }), 0);
        assert.equal(await store.logs.runStats(ws, fr), undefined);
        assert.equal((await store.logs.runStats(ws, other))?.count, 1);
        assert.deepEqual(await loggers(), [['n', 1]]);
        assert.deepEqual(await loggers([fr]), []);
        const left = await store.logs.filter(ws, logQuery({}, { limit: 10 }));
        assert.deepEqual(
          left.map((l) => l.message),
          ['m4'],
        );
        await store.logs.indexText(100);
        const found = await store.logs.filter(ws, logQuery({ text: { query: 'm' } }, { limit: 10 }));
        assert.deepEqual(
          found.map((l) => l.message),
          ['m4'],
        );
      }));

    it('gives a trace its root flow run and every subflow under it', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const root = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        const t1 = (await store.taskRuns.create(ws, taskRun(root.id, 'sub-a'), state('PENDING', T0))).run;
        const sub = (
          await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: t1.id }), state('RUNNING', T0))
        ).run;
        const t2 = (await store.taskRuns.create(ws, taskRun(sub.id, 'sub-b'), state('PENDING', T0))).run;
        const subsub = (
          await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: t2.id }), state('RUNNING', T0))
        ).run;
        const unrelated = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run;
        assert.deepEqual((await store.traces.flowRunIds(ws, root.id)).sort(), [root.id, sub.id, subsub.id].sort());
        assert.deepEqual((await store.traces.flowRunIds(ws, sub.id)).sort(), [sub.id, subsub.id].sort());
        assert.deepEqual(await store.traces.flowRunIds(ws, unrelated.id), [unrelated.id]);
        const unknown = uuid7();
        assert.deepEqual(await store.traces.flowRunIds(ws, unknown), [unknown]);
      }));

    it('filters flow runs by every FlowRunFilter key', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl', { tags: ['ft'] }))).flow;
        const g = (await store.flows.upsert(ws, flow('other'))).flow;
        const mk = async (name: string, over: Parameters<typeof flowRun>[1], s = state('PENDING', T0)) =>
          (await store.flowRuns.create(ws, flowRun(over?.flow_id ?? f.id, { name, ...over }), s)).run;
        const a = await mk(
          'a-run',
          { tags: ['x', 'y'], flow_version: 'v1', idempotency_key: 'k1', deployment_id: uuid7() },
          state('PENDING', T0 + 10),
        );
        await mk('b-run', { tags: ['x'], work_queue_name: 'q1', work_pool_name: 'pool' }, state('SCHEDULED', T0 + 20));
        const c = await mk('c-run', { flow_id: g.id }, state('PENDING', T0 + 30));
        await store.flowRuns.writeState(ws, c.id, { expectedStateId: c.state_id, state: state('RUNNING', T0 + 40) });
        const tr = (await store.taskRuns.create(ws, taskRun(c.id, 'sub', { tags: ['tt'] }), state('PENDING', T0))).run;
        await mk('d-sub', { parent_task_run_id: tr.id }, state('PENDING', T0 + 50));
        const ids = async (filters: RunFilterSet, sort: FlowRunSort = 'NAME_ASC') =>
          (await store.flowRuns.filter(ws, query(sort, filters))).map((r) => r.name);
        const fr = (x: object): RunFilterSet => ({ flow_runs: { operator: 'and_', ...x } });
        assert.deepEqual(await ids({}), ['a-run', 'b-run', 'c-run', 'd-sub']);
        assert.deepEqual(await ids(fr({ id: { any_: [a.id, c.id] } })), ['a-run', 'c-run']);
        assert.deepEqual(await ids(fr({ id: { not_any_: [a.id] } })), ['b-run', 'c-run', 'd-sub']);
        assert.deepEqual(await ids(fr({ id: { any_: [] } })), []);
        assert.deepEqual(await ids(fr({ name: { any_: ['b-run'] } })), ['b-run']);
        assert.deepEqual(await ids(fr({ name: { like_: 'RUN' } })), ['a-run', 'b-run', 'c-run']);
        assert.deepEqual(await ids(fr({ tags: { operator: 'and_', all_: ['x', 'y'] } })), ['a-run']);
        assert.deepEqual(await ids(fr({ tags: { operator: 'and_', any_: ['y', 'zz'] } })), ['a-run']);
        assert.deepEqual(await ids(fr({ tags: { operator: 'and_', is_null_: true } })), ['c-run', 'd-sub']);
        assert.deepEqual(await ids(fr({ tags: { operator: 'or_', all_: ['y'], is_null_: true } })), [
          'a-run',
          'c-run',
          'd-sub',
        ]);
        assert.deepEqual(await ids(fr({ flow_id: { operator: 'and_', any_: [g.id] } })), ['c-run']);
        assert.deepEqual(await ids(fr({ deployment_id: { operator: 'and_', is_null_: false } })), ['a-run']);
        assert.deepEqual(await ids(fr({ deployment_id: { operator: 'and_', any_: [a.deployment_id] } })), ['a-run']);
        assert.deepEqual(await ids(fr({ work_queue_name: { operator: 'and_', any_: ['q1'] } })), ['b-run']);
        assert.deepEqual(await ids(fr({ work_queue_name: { operator: 'and_', is_null_: true } })), [
          'a-run',
          'c-run',
          'd-sub',
        ]);
        assert.deepEqual(await ids(fr({ work_queue_id: { operator: 'and_', is_null_: false } })), []);
        assert.deepEqual(await ids(fr({ state: { operator: 'and_', type: { any_: ['RUNNING', 'SCHEDULED'] } } })), [
          'b-run',
          'c-run',
        ]);
        assert.deepEqual(await ids(fr({ state: { operator: 'and_', type: { not_any_: ['PENDING'] } } })), [
          'b-run',
          'c-run',
        ]);
        assert.deepEqual(await ids(fr({ state: { operator: 'and_', name: { any_: ['Scheduled'] } } })), ['b-run']);
        assert.deepEqual(
          await ids(fr({ state: { operator: 'or_', name: { any_: ['Scheduled'] }, type: { any_: ['RUNNING'] } } })),
          ['b-run', 'c-run'],
        );
        assert.deepEqual(await ids(fr({ state: { operator: 'and_', name: { not_any_: ['Pending'] } } })), [
          'b-run',
          'c-run',
        ]);
        assert.deepEqual(await ids(fr({ flow_version: { any_: ['v1'] } })), ['a-run']);
        assert.deepEqual(await ids(fr({ start_time: { is_null_: false } })), ['c-run']);
        assert.deepEqual(await ids(fr({ start_time: { after_: T0 + 40, before_: T0 + 40 } })), ['c-run']);
        assert.deepEqual(await ids(fr({ end_time: { is_null_: true } })), ['a-run', 'b-run', 'c-run', 'd-sub']);
        assert.deepEqual(await ids(fr({ end_time: { before_: T0 + 100 } })), []);
        assert.deepEqual(await ids(fr({ expected_start_time: { after_: T0 + 20, before_: T0 + 30 } })), [
          'b-run',
          'c-run',
        ]);
        assert.deepEqual(await ids(fr({ next_scheduled_start_time: { after_: T0 } })), ['b-run']);
        assert.deepEqual(await ids(fr({ parent_flow_run_id: { operator: 'and_', any_: [c.id] } })), ['d-sub']);
        assert.deepEqual(await ids(fr({ parent_task_run_id: { operator: 'and_', any_: [tr.id] } })), ['d-sub']);
        assert.deepEqual(await ids(fr({ parent_task_run_id: { operator: 'and_', is_null_: true } })), [
          'a-run',
          'b-run',
          'c-run',
        ]);
        assert.deepEqual(await ids(fr({ idempotency_key: { any_: ['k1'] } })), ['a-run']);
        assert.deepEqual(await ids(fr({ idempotency_key: { not_any_: ['k1'] } })), []);
        assert.deepEqual(await ids(fr({ created_by: { operator: 'and_', is_null_: true } })), [
          'a-run',
          'b-run',
          'c-run',
          'd-sub',
        ]);
        assert.deepEqual(await ids(fr({ created_by: { operator: 'and_', id_: [uuid7()] } })), []);
        assert.deepEqual(await ids(fr({ deployment_version_id: { operator: 'and_', deployment_id: uuid7() } })), []);
        assert.deepEqual(
          await ids(fr({ operator: 'or_', name: { any_: ['a-run'] }, flow_id: { operator: 'and_', any_: [g.id] } })),
          ['a-run', 'c-run'],
        );
        // Filters on other resources.
        assert.deepEqual(await ids({ flows: { operator: 'and_', name: { any_: ['other'] } } }), ['c-run']);
        assert.deepEqual(await ids({ flows: { operator: 'and_', tags: { operator: 'and_', all_: ['ft'] } } }), [
          'a-run',
          'b-run',
          'd-sub',
        ]);
        assert.deepEqual(await ids({ task_runs: { operator: 'and_', tags: { operator: 'and_', all_: ['tt'] } } }), [
          'c-run',
        ]);
        assert.deepEqual(await ids({ deployments: { operator: 'and_' } }), ['a-run']);
        assert.deepEqual(await ids({ deployments: { operator: 'and_', name: { any_: ['x'] } } }), []);
        assert.deepEqual(await ids({ work_pools: { operator: 'and_', name: { any_: ['pool'] } } }), ['b-run']);
        assert.deepEqual(await ids({ work_pools: { operator: 'and_', name: { any_: ['nope'] } } }), []);
        assert.deepEqual(await ids({ work_pool_queues: { operator: 'and_', name: { startswith_: ['q'] } } }), [
          'b-run',
        ]);
        assert.deepEqual(await ids({ work_pool_queues: { operator: 'and_' } }), ['b-run']);
        assert.equal(await store.flowRuns.count(ws, fr({ tags: { operator: 'and_', any_: ['x'] } })), 2);
      }));

    it('sorts flow runs by every FlowRunSort, ties by id descending, NULLs last', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const mk = async (name: string, s: ReturnType<typeof state>) =>
          (await store.flowRuns.create(ws, flowRun(f.id, { name }), s)).run;
        const a = await mk('a', state('PENDING', T0 + 30));
        const b = await mk('b', state('SCHEDULED', T0 + 10));
        const c = await mk('c', state('PENDING', T0 + 20));
        // c runs 5 s and completes; a runs since T0+40 (still running).
        await store.flowRuns.writeState(ws, c.id, { expectedStateId: c.state_id, state: state('RUNNING', T0 + 25) });
        const cs = await store.flowRuns.get(ws, c.id);
        await store.flowRuns.writeState(ws, c.id, {
          expectedStateId: cs!.state_id,
          state: state('COMPLETED', T0 + 25 + 5 * SEC),
        });
        await store.flowRuns.writeState(ws, a.id, { expectedStateId: a.state_id, state: state('RUNNING', T0 + 40) });
        const order = async (sort: FlowRunSort) => (await store.flowRuns.filter(ws, query(sort))).map((r) => r.name);
        const byId = [a, b, c].sort((x, y) => (x.id < y.id ? 1 : -1)).map((r) => r.name);
        assert.deepEqual(await order('ID_DESC'), byId);
        assert.deepEqual(await order('START_TIME_ASC'), ['b', 'c', 'a']);
        assert.deepEqual(await order('START_TIME_DESC'), ['a', 'c', 'b']);
        assert.deepEqual(await order('EXPECTED_START_TIME_ASC'), ['b', 'c', 'a']);
        assert.deepEqual(await order('EXPECTED_START_TIME_DESC'), ['a', 'c', 'b']);
        assert.deepEqual(await order('NAME_ASC'), ['a', 'b', 'c']);
        assert.deepEqual(await order('NAME_DESC'), ['c', 'b', 'a']);
        assert.deepEqual((await order('NEXT_SCHEDULED_START_TIME_ASC'))[0], 'b');
        assert.deepEqual((await order('END_TIME_DESC'))[0], 'c');
        // now = T0 + 1 h: a has been running for almost an hour, c ran 5 s.
        assert.deepEqual((await order('DURATION_DESC')).slice(0, 2), ['a', 'c']);
        // b (scheduled, never started) is an hour late; c and a started on time.
        assert.deepEqual((await order('LATENESS_DESC'))[0], 'b');
        const page = await store.flowRuns.filter(ws, query('NAME_ASC', {}, { limit: 2, offset: 1 }));
        assert.deepEqual(
          page.map((r) => r.name),
          ['b', 'c'],
        );
      }));
  });
}
