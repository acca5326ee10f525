import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid7 } from '../../domain/ids.ts';
import type { ArtifactSort, RunFilterSet, TaskRunSort } from '../../domain/runs/filters.ts';
import type { OpenTestStore } from './index.ts';
import { artifact, flow, flowRun, query, record, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';

export function taskRunConformance(open: OpenTestStore): void {
  describe('task runs', () => {
    it('get-or-creates by id, then by (flow_run_id, task_key, dynamic_key)', () =>
      withStore(open, async (store, ws) => {
        const fr = uuid7();
        const a = await store.taskRuns.create(ws, taskRun(fr, 'k'), state('PENDING', T0));
        assert.equal(a.created, true);
        assert.equal(a.run.state_type, 'PENDING');
        assert.equal(a.run.expected_start_time, T0);
        const sameKey = await store.taskRuns.create(ws, taskRun(fr, 'k'), state('PENDING', T0 + 1));
        assert.deepEqual(sameKey, { run: a.run, created: false });
        const sameId = await store.taskRuns.create(
          ws,
          taskRun(fr, 'other', { id: a.run.id }),
          state('PENDING', T0 + 1),
        );
        assert.equal(sameId.created, false);
        assert.equal(sameId.run.id, a.run.id);
        // Without a flow run, every create is a new task run.
        const x = await store.taskRuns.create(ws, taskRun(null, 'k'), state('PENDING', T0));
        const y = await store.taskRuns.create(ws, taskRun(null, 'k'), state('PENDING', T0));
        assert.notEqual(x.run.id, y.run.id);
        assert.equal(await store.taskRuns.count(ws, {}), 3);
        assert.deepEqual(await store.taskRuns.get(ws, a.run.id), a.run);
      }));

    it('writes states compare-and-set and renames', () =>
      withStore(open, async (store, ws) => {
        const { run } = await store.taskRuns.create(ws, taskRun(uuid7(), 'k'), state('PENDING', T0));
        const running = state('RUNNING', T0 + SEC);
        assert.deepEqual(await store.taskRuns.writeState(ws, run.id, { expectedStateId: null, state: running }), {
          outcome: 'conflict',
        });
        const w = await store.taskRuns.writeState(ws, run.id, {
          expectedStateId: run.state_id,
          state: running,
          flowRunRunCount: 3,
        });
        assert.ok(w.outcome === 'written');
        assert.equal(w.run.run_count, 1);
        assert.equal(w.run.flow_run_run_count, 3);
        assert.deepEqual(await store.taskRuns.get(ws, run.id), {
          ...w.run,
          updated: (await store.taskRuns.get(ws, run.id))!.updated,
        });
        assert.equal(await store.taskRuns.rename(ws, run.id, 'new', T0 + 5), true);
        assert.equal((await store.taskRuns.get(ws, run.id))?.name, 'new');
        assert.equal(await store.taskRuns.rename(ws, uuid7(), 'x', T0), false);
        assert.deepEqual(
          (await store.taskRuns.states(ws, run.id)).map((s) => s.type),
          ['PENDING', 'RUNNING'],
        );
        assert.equal((await store.taskRuns.getState(ws, running.id))?.id, running.id);
      }));

    it('deletes a task run with its states and artifacts', () =>
      withStore(open, async (store, ws) => {
        const { run } = await store.taskRuns.create(ws, taskRun(uuid7(), 'k'), state('PENDING', T0));
        await store.artifacts.create(ws, artifact({ task_run_id: run.id }));
        assert.equal(await store.taskRuns.delete(ws, run.id), true);
        assert.equal(await store.taskRuns.get(ws, run.id), undefined);
        assert.deepEqual(await store.taskRuns.states(ws, run.id), []);
        assert.equal(await store.artifacts.count(ws, {}), 0);
        assert.equal(await store.taskRuns.delete(ws, run.id), false);
      }));

    it('records task runs from events: newest state wins, duplicates and reordering converge', () =>
      withStore(open, async (store, ws) => {
        const fr = uuid7();
        const id = uuid7();
        const pending = record(id, fr, 'PENDING', T0);
        const running = record(id, fr, 'RUNNING', T0 + SEC);
        const completed = record(id, fr, 'COMPLETED', T0 + 2 * SEC);
        // Out of order, with a duplicate.
        await store.taskRuns.record(ws, [running, completed]);
        await store.taskRuns.record(ws, [pending, running]);
        const t = await store.taskRuns.get(ws, id);
        assert.equal(t?.state_type, 'COMPLETED');
        assert.equal(t?.state_id, completed.state.id);
        assert.equal(t?.state?.timestamp, T0 + 2 * SEC);
        assert.equal(t?.end_time, T0 + 2 * SEC);
        assert.equal(t?.total_run_time, SEC);
        assert.equal(t?.flow_run_id, fr);
        assert.equal(t?.name, 'extract-79c');
        const history = await store.taskRuns.states(ws, id);
        assert.deepEqual(
          history.map((s) => s.type),
          ['PENDING', 'RUNNING', 'COMPLETED'],
        );
        assert.deepEqual(
          history.map((s) => s.state_details.task_run_id),
          [id, id, id],
        );
        // In order gives the same result.
        const id2 = uuid7();
        await store.taskRuns.record(ws, [
          record(id2, fr, 'PENDING', T0, { key: 'b' }),
          record(id2, fr, 'RUNNING', T0 + SEC, { key: 'b' }),
        ]);
        await store.taskRuns.record(ws, [record(id2, fr, 'PENDING', T0, { key: 'b' })]);
        assert.equal((await store.taskRuns.get(ws, id2))?.state_type, 'RUNNING');
        assert.equal(await store.taskRuns.count(ws, {}), 2);
      }));

    it('records a batch touching task runs several times, out of order, as one event at a time would', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const fr = (await store.flowRuns.create(ws, flowRun(f.id), state('RUNNING', T0))).run.id;
        const [a, b, c, d] = [uuid7(), uuid7(), uuid7(), uuid7()];
        const aCompleted = record(a, fr, 'COMPLETED', T0 + 2 * SEC);
        const bRunning = record(b, fr, 'RUNNING', T0 + SEC, { key: 'b' });
        // Another id with a's key lands on a; its later state wins there.
        const cFailed = record(c, fr, 'FAILED', T0 + 3 * SEC);
        // Two states at one instant: the earlier in the batch wins, as it would one by one.
        const dRunning = record(d, fr, 'RUNNING', T0 + SEC, { key: 'd' });
        const dFailed = record(d, fr, 'FAILED', T0 + SEC, { key: 'd' });
        const batch = [
          aCompleted,
          record(b, fr, 'PENDING', T0, { key: 'b' }),
          record(a, fr, 'PENDING', T0),
          bRunning,
          cFailed,
          record(a, fr, 'RUNNING', T0 + SEC),
          aCompleted,
          dRunning,
          dFailed,
        ];
        await store.taskRuns.record(ws, batch);
        const check = async () => {
          assert.equal(await store.taskRuns.count(ws, {}), 3);
          assert.equal(await store.taskRuns.get(ws, c), undefined);
          const runA = await store.taskRuns.get(ws, a);
          assert.deepEqual([runA?.state_type, runA?.state_id], ['FAILED', cFailed.state.id]);
          const history = await store.taskRuns.states(ws, a);
          assert.deepEqual(
            history.map((x) => [x.type, x.state_details.task_run_id]),
            [
              ['PENDING', a],
              ['RUNNING', a],
              ['COMPLETED', a],
              ['FAILED', a],
            ],
          );
          assert.equal((await store.taskRuns.get(ws, b))?.state_id, bRunning.state.id);
          assert.equal((await store.taskRuns.get(ws, d))?.state_id, dRunning.state.id);
          assert.equal((await store.taskRuns.states(ws, d)).length, 2);
          assert.deepEqual((await store.spans.get(ws, fr))?.child_state_counts, {
            'task-run': { Failed: 1, Running: 2 },
          });
          return [(await store.spans.get(ws, a))?.version, (await store.spans.get(ws, fr))?.version];
        };
        const versions = await check();
        assert.deepEqual(versions[0], 1, "the batch writes a's span once");
        // Re-sent reversed, whole or split: nothing changes.
        await store.taskRuns.record(ws, [...batch].reverse());
        await store.taskRuns.record(ws, batch.slice(4));
        await store.taskRuns.record(ws, batch.slice(0, 4));
        assert.deepEqual(await check(), versions);
      }));

    it('records onto the run with the same key when the id differs, and keeps runs of unknown flow runs', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const frId = uuid7();
        const { run } = await store.taskRuns.create(
          ws,
          taskRun(frId, 'extract-3de472e5', { dynamic_key: '79c' }),
          state('PENDING', T0),
        );
        await store.taskRuns.record(ws, [record(uuid7(), frId, 'RUNNING', T0 + SEC)]);
        const t = await store.taskRuns.get(ws, run.id);
        assert.equal(t?.state_type, 'RUNNING');
        assert.equal(await store.taskRuns.count(ws, {}), 1);
        // The flow run did not exist; once it does, the task run is found through it.
        await store.flowRuns.create(ws, flowRun(f.id, { id: frId, name: 'late' }), state('RUNNING', T0));
        const found = await store.taskRuns.filter(
          ws,
          query('ID_DESC', { flow_runs: { operator: 'and_', name: { any_: ['late'] } } }),
        );
        assert.deepEqual(
          found.map((x) => x.id),
          [run.id],
        );
      }));

    it('filters and sorts task runs', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const fr = (await store.flowRuns.create(ws, flowRun(f.id, { name: 'parent' }), state('RUNNING', T0))).run;
        const mk = async (key: string, over: Parameters<typeof taskRun>[2], s = state('PENDING', T0)) =>
          (await store.taskRuns.create(ws, taskRun(fr.id, key, { name: key, ...over }), s)).run;
        const a = await mk('a', { tags: ['x'] }, state('PENDING', T0 + 30));
        const b = await mk('b', {}, state('SCHEDULED', T0 + 10));
        const c = await mk('c', { tags: ['x', 'y'] }, state('PENDING', T0 + 20));
        const orphan = (await store.taskRuns.create(ws, taskRun(null, 'o', { name: 'o' }), state('PENDING', T0 + 40)))
          .run;
        await store.taskRuns.writeState(ws, c.id, { expectedStateId: c.state_id, state: state('RUNNING', T0 + 25) });
        await store.taskRuns.writeState(ws, c.id, {
          expectedStateId: (await store.taskRuns.get(ws, c.id))!.state_id,
          state: state('COMPLETED', T0 + 99),
        });
        await store.flowRuns.create(ws, flowRun(f.id, { parent_task_run_id: a.id }), state('PENDING', T0));
        const names = async (filters: RunFilterSet, sort: TaskRunSort = 'NAME_ASC') =>
          (await store.taskRuns.filter(ws, query(sort, filters))).map((t) => t.name);
        const tr = (x: object): RunFilterSet => ({ task_runs: { operator: 'and_', ...x } });
        assert.deepEqual(await names({}), ['a', 'b', 'c', 'o']);
        assert.deepEqual(await names(tr({ id: { any_: [a.id] } })), ['a']);
        assert.deepEqual(await names(tr({ name: { like_: 'B' } })), ['b']);
        assert.deepEqual(await names(tr({ tags: { operator: 'and_', all_: ['x'] } })), ['a', 'c']);
        assert.deepEqual(await names(tr({ tags: { operator: 'and_', is_null_: true } })), ['b', 'o']);
        assert.deepEqual(await names(tr({ state: { operator: 'and_', type: { any_: ['COMPLETED'] } } })), ['c']);
        assert.deepEqual(await names(tr({ state: { operator: 'and_', name: { any_: ['Scheduled'] } } })), ['b']);
        assert.deepEqual(await names(tr({ start_time: { is_null_: false } })), ['c']);
        assert.deepEqual(await names(tr({ end_time: { after_: T0 + 99 } })), ['c']);
        assert.deepEqual(await names(tr({ expected_start_time: { before_: T0 + 20 } })), ['b', 'c']);
        assert.deepEqual(await names(tr({ subflow_runs: { exists_: true } })), ['a']);
        assert.deepEqual(await names(tr({ subflow_runs: { exists_: false } })), ['b', 'c', 'o']);
        assert.deepEqual(await names(tr({ flow_run_id: { operator: 'and_', is_null_: true } })), ['o']);
        assert.deepEqual(await names(tr({ flow_run_id: { operator: 'and_', any_: [fr.id], is_null_: false } })), [
          'a',
          'b',
          'c',
        ]);
        assert.deepEqual(await names(tr({ operator: 'or_', id: { any_: [a.id] }, name: { any_: ['o'] } })), ['a', 'o']);
        assert.deepEqual(await names({ flow_runs: { operator: 'and_' } }), ['a', 'b', 'c']);
        assert.deepEqual(await names({ flows: { operator: 'and_', name: { any_: ['nope'] } } }), []);
        assert.deepEqual(await names({}, 'EXPECTED_START_TIME_ASC'), ['b', 'c', 'a', 'o']);
        assert.deepEqual(await names({}, 'EXPECTED_START_TIME_DESC'), ['o', 'a', 'c', 'b']);
        assert.deepEqual(await names({}, 'NAME_DESC'), ['o', 'c', 'b', 'a']);
        assert.deepEqual((await names({}, 'NEXT_SCHEDULED_START_TIME_ASC'))[0], 'b');
        assert.deepEqual((await names({}, 'END_TIME_DESC'))[0], 'c');
        const byId = [a, b, c, orphan].sort((x, y) => (x.id < y.id ? 1 : -1)).map((t) => t.name);
        assert.deepEqual(await names({}, 'ID_DESC'), byId);
        assert.equal(await store.taskRuns.count(ws, tr({ tags: { operator: 'and_', all_: ['x'] } })), 2);
      }));
  });

  describe('artifacts', () => {
    it('creates, reads, updates, deletes, filters and sorts artifacts', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('etl'))).flow;
        const fr = (await store.flowRuns.create(ws, flowRun(f.id, { name: 'r' }), state('RUNNING', T0))).run;
        const tr = (await store.taskRuns.create(ws, taskRun(fr.id, 'k', { tags: ['t'] }), state('RUNNING', T0))).run;
        const a = await store.artifacts.create(
          ws,
          artifact({ key: 'report', type: 'markdown', flow_run_id: fr.id, created: T0 + 1 }),
        );
        const b = await store.artifacts.create(
          ws,
          artifact({ type: 'table', data: [{ a: 1 }], flow_run_id: fr.id, task_run_id: tr.id, created: T0 + 2 }),
        );
        const c = await store.artifacts.create(
          ws,
          artifact({ key: 'zeta', type: 'progress', data: 0.5, metadata_: { m: 'v' }, created: T0 + 3 }),
        );
        assert.deepEqual(await store.artifacts.get(ws, b.id), b);
        assert.equal(await store.artifacts.update(ws, c.id, { data: 1, description: 'done' }, T0 + 9), true);
        const c2 = await store.artifacts.get(ws, c.id);
        assert.equal(c2?.data, 1);
        assert.equal(c2?.description, 'done');
        assert.deepEqual(c2?.metadata_, { m: 'v' });
        assert.equal(c2?.updated, T0 + 9);
        const keys = async (filters: RunFilterSet, sort: ArtifactSort = 'CREATED_DESC') =>
          (await store.artifacts.filter(ws, query(sort, filters))).map((x) => x.id);
        const af = (x: object): RunFilterSet => ({ artifacts: { operator: 'and_', ...x } });
        assert.deepEqual(await keys({}), [c.id, b.id, a.id]);
        assert.deepEqual(await keys({}, 'KEY_ASC'), [a.id, c.id, b.id]);
        assert.deepEqual(await keys({}, 'UPDATED_DESC'), [c.id, b.id, a.id]);
        assert.deepEqual(await keys(af({ key: { any_: ['report'] } })), [a.id]);
        assert.deepEqual(await keys(af({ key: { like_: 'ET' } })), [c.id]);
        assert.deepEqual(await keys(af({ key: { exists_: false } })), [b.id]);
        assert.deepEqual(await keys(af({ type: { not_any_: ['markdown'] } })), [c.id, b.id]);
        assert.deepEqual(await keys(af({ flow_run_id: { any_: [fr.id] } })), [b.id, a.id]);
        assert.deepEqual(await keys(af({ task_run_id: { any_: [tr.id] } })), [b.id]);
        assert.deepEqual(await keys(af({ id: { any_: [a.id] } })), [a.id]);
        assert.deepEqual(await keys({ flow_runs: { operator: 'and_', name: { any_: ['r'] } } }), [b.id, a.id]);
        assert.deepEqual(await keys({ task_runs: { operator: 'and_', tags: { operator: 'and_', all_: ['t'] } } }), [
          b.id,
        ]);
        assert.deepEqual(await keys({ flows: { operator: 'and_', name: { any_: ['etl'] } } }), [b.id, a.id]);
        assert.equal(await store.artifacts.count(ws, af({ type: { any_: ['table', 'progress'] } })), 2);
        assert.equal(await store.artifacts.delete(ws, a.id), true);
        assert.equal(await store.artifacts.delete(ws, a.id), false);
        assert.equal(await store.artifacts.get(ws, a.id), undefined);
        assert.equal(await store.artifacts.update(ws, a.id, { data: 1 }, T0), false);
      }));
  });
}
