import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid7 } from '../../domain/ids.ts';
import type { SpanListQuery } from '../../domain/spans/query.ts';
import { positionOf, type SpanRow } from '../../domain/spans/span.ts';
import { parseTextQuery } from '../../domain/text-query.ts';
import type { OpenTestStore } from './index.ts';
import { artifact, flow, flowRun, otherWorkspace, record, SEC, state, T0, taskRun, withStore } from './run-fixtures.ts';
import { moveFlowRun, smallTrace } from './span-fixtures.ts';

const ids = (spans: SpanRow[]) => spans.map((s) => s.span_id);
const all = (over: Partial<SpanListQuery> = {}): SpanListQuery => ({
  filters: {},
  descending: false,
  limit: 1000,
  ...over,
});

export function spanConformance(open: OpenTestStore): void {
  describe('spans', () => {
    it('projects every run and artifact of a trace, with placement, state, tags, attributes and child counts', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        const r = t.root.id;
        const root = (await store.spans.get(ws, r))!;
        assert.equal(root.trace_id, r);
        assert.equal(root.parent_span_id, null);
        assert.deepEqual(root.path, []);
        assert.equal(root.depth, 0);
        assert.equal(root.span_type, 'flow-run');
        assert.equal(root.name, 'agile-chital');
        assert.equal(root.state_type, 'RUNNING');
        assert.equal(root.start_time, T0 + SEC);
        assert.equal(root.end_time, null);
        assert.deepEqual(root.tags, ['etl', 'prod']);
        assert.equal(root.attributes['prefect.run.parameter.n'], 'int');
        assert.equal(root.attributes['prefect.run.parameter.s'], 'str');
        assert.equal(root.attributes['prefect.run.type'], 'flow');
        assert.equal(root.attributes['prefect.run.run_count'], 1);
        assert.equal(root.attributes.team, 'data');
        assert.equal(root.child_count, 3);
        assert.deepEqual(root.child_state_counts, { 'task-run': { Completed: 1, Failed: 2 } });

        const extract = (await store.spans.get(ws, t.extract.id))!;
        assert.deepEqual([extract.trace_id, extract.parent_span_id, extract.path, extract.depth], [r, r, [r], 1]);
        assert.equal(extract.total_run_time, SEC);
        assert.equal(extract.end_time, T0 + 4 * SEC);
        assert.equal(extract.child_count, 1);
        assert.deepEqual(extract.child_state_counts, {}, 'artifacts have no state');

        const art = (await store.spans.get(ws, t.artifactId))!;
        assert.deepEqual(
          [art.span_type, art.name, art.parent_span_id, art.depth, art.state_type],
          ['artifact', 'rows', t.extract.id, 2, null],
        );
        assert.equal(art.start_time, T0 + 4 * SEC);
        assert.equal(art.total_run_time, null);
        assert.equal(art.attributes['prefect.artifact.description'], 'Row counts');

        const tracking = (await store.spans.get(ws, t.tracking.id))!;
        assert.equal(tracking.state_type, 'FAILED', 'the tracking task follows its subflow');
        assert.deepEqual(tracking.child_state_counts, { 'flow-run': { Failed: 1 } });
        const sub = (await store.spans.get(ws, t.sub.id))!;
        assert.deepEqual(
          [sub.trace_id, sub.parent_span_id, sub.path, sub.depth],
          [r, t.tracking.id, [r, t.tracking.id], 2],
        );
        const subTask = (await store.spans.get(ws, t.subTask.id))!;
        assert.deepEqual(
          [subTask.trace_id, subTask.path, subTask.depth, subTask.state_name],
          [r, [r, t.tracking.id, t.sub.id], 3, 'Failed'],
        );

        assert.equal(await store.spans.hasTrace(ws, r), true);
        assert.equal(await store.spans.hasTrace(ws, t.sub.id), false, 'a subflow is not a trace of its own');
        assert.deepEqual(await store.traces.flowRunIds(ws, r), [r, t.sub.id]);
        assert.deepEqual(await store.traces.flowRunIds(ws, t.sub.id), [t.sub.id]);
        assert.equal((await store.spans.list(ws, r, all())).length, 7);
      }));

    it('orders by start time (unstarted last), then span id; descending is the exact reverse; keyset paging', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        const r = t.root.id;
        // Two unstarted (PENDING) tasks with the same null start: ordered by id.
        const p1 = taskRun(r, 'p1');
        const p2 = taskRun(r, 'p2');
        await store.taskRuns.create(ws, p1, state('PENDING', T0));
        await store.taskRuns.create(ws, p2, state('PENDING', T0));
        const asc = await store.spans.list(ws, r, all());
        const expected = [
          r,
          t.extract.id,
          t.artifactId,
          t.validate.id,
          t.sub.id,
          t.subTask.id,
          t.tracking.id,
          ...[p1.id, p2.id].sort(),
        ];
        assert.deepEqual(ids(asc), expected);
        assert.deepEqual(ids(await store.spans.list(ws, r, all({ descending: true }))), [...expected].reverse());
        // Keyset: strictly after a position, in either direction.
        const after3 = await store.spans.list(ws, r, all({ after: positionOf(asc[2]), limit: 3 }));
        assert.deepEqual(ids(after3), expected.slice(3, 6));
        const afterNull = await store.spans.list(ws, r, all({ after: positionOf(asc[7]) }));
        assert.deepEqual(ids(afterNull), expected.slice(8));
        const before = await store.spans.list(ws, r, all({ after: positionOf(asc[7]), descending: true, limit: 2 }));
        assert.deepEqual(ids(before), [expected[6], expected[5]]);
        assert.deepEqual(await store.spans.list(ws, uuid7(), all()), []);
      }));

    it('filters by parent, depth, entity, state type and name, tags (any of) and text', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        const r = t.root.id;
        const q = async (filters: SpanListQuery['filters']) => ids(await store.spans.list(ws, r, all({ filters })));
        assert.deepEqual(await q({ depth: 0 }), [r]);
        assert.deepEqual(await q({ parent_span_id: r }), [t.extract.id, t.validate.id, t.tracking.id]);
        assert.deepEqual(await q({ parent_span_id: t.extract.id }), [t.artifactId]);
        assert.deepEqual(await q({ entities: ['flow-run'] }), [r, t.sub.id]);
        assert.deepEqual(await q({ entities: ['artifact', 'flow-run'] }), [r, t.artifactId, t.sub.id]);
        assert.deepEqual(await q({ state_types: ['FAILED'] }), [t.validate.id, t.sub.id, t.subTask.id, t.tracking.id]);
        assert.deepEqual(await q({ state_names: ['Completed', 'Running'] }), [r, t.extract.id]);
        assert.deepEqual(await q({ tags: ['prod', 'check'] }), [r, t.validate.id, t.subTask.id]);
        assert.deepEqual(await q({ depth: 1, state_types: ['FAILED'], tags: ['check'] }), [t.validate.id]);
        const text = async (query: string) => q({ text: parseTextQuery(query) });
        assert.deepEqual(await text('validate'), [t.validate.id]);
        assert.deepEqual(await text('VALIDATE load'), [t.validate.id, t.subTask.id], 'space = OR, case-insensitive');
        assert.deepEqual(await text('check -load'), [t.validate.id], 'tags are searched; - excludes');
        assert.deepEqual(await text('!abc'), [r, t.artifactId, t.sub.id, t.tracking.id], '! excludes');
        assert.deepEqual(await text('"row counts"'), [t.artifactId], 'phrases; attribute values are searched');
        assert.deepEqual(await text('data'), [r], 'label values are searched');
        assert.deepEqual(await text('"counts row"'), []);
      }));

    it('reads spans by id within one trace only', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        const other = await smallTrace(store, ws);
        const got = await store.spans.getMany(ws, t.root.id, [
          t.subTask.id,
          other.extract.id,
          uuid7(),
          t.root.id,
          t.root.id,
        ]);
        assert.deepEqual(ids(got), [t.root.id, t.subTask.id]);
        assert.deepEqual(await store.spans.getMany(ws, t.root.id, []), []);
      }));

    it('bumps version and published on every change, and only then', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('v'))).flow;
        const fr = flowRun(f.id, { name: 'v1' });
        await store.flowRuns.create(ws, fr, state('PENDING', T0));
        const v1 = (await store.spans.get(ws, fr.id))!;
        assert.equal(v1.version, 1);
        await store.flowRuns.update(ws, fr.id, { name: 'v2', updated: T0 + 1 });
        const v2 = (await store.spans.get(ws, fr.id))!;
        assert.deepEqual([v2.name, v2.version], ['v2', 2]);
        assert.ok(v2.published >= v1.published);
        await store.flowRuns.update(ws, fr.id, { name: 'v2', updated: T0 + 2 });
        assert.equal((await store.spans.get(ws, fr.id))!.version, 2, 'no change, no new version');
        await store.flowRuns.mergeLabels(ws, fr.id, { env: 'prod' }, T0 + 3);
        const v3 = (await store.spans.get(ws, fr.id))!;
        assert.deepEqual([v3.attributes.env, v3.version], ['prod', 3]);
        // A child's state change is a change of the parent's child counts.
        const tr = taskRun(fr.id, 'k');
        const e1 = record(tr.id, fr.id, 'PENDING', T0 + SEC);
        await store.taskRuns.record(ws, [e1]);
        assert.equal((await store.spans.get(ws, fr.id))!.version, 4);
        const taskV = (await store.spans.get(ws, tr.id))!.version;
        await store.taskRuns.record(ws, [e1]);
        assert.equal((await store.spans.get(ws, tr.id))!.version, taskV, 'a duplicate event changes nothing');
        await store.taskRuns.record(ws, [record(tr.id, fr.id, 'RUNNING', T0 + 2 * SEC)]);
        const task = (await store.spans.get(ws, tr.id))!;
        assert.deepEqual([task.version, task.state_name], [taskV + 1, 'Running']);
        assert.deepEqual((await store.spans.get(ws, fr.id))!.child_state_counts, { 'task-run': { Running: 1 } });
        await store.taskRuns.rename(ws, tr.id, 'renamed', T0 + 9);
        assert.equal((await store.spans.get(ws, tr.id))!.name, 'renamed');
      }));

    it('re-roots a subtree when a late parent arrives (task events before their flow run, subflow before its tracking task)', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('late'))).flow;
        const root = flowRun(f.id, { name: 'root' });
        const tracking = taskRun(root.id, 'sub', { name: 'sub-0' });
        const sub = flowRun(f.id, { name: 'sub', parent_task_run_id: tracking.id });
        const subTask = uuid7();
        // The subflow's task arrives first: its flow run stands in as the root.
        await store.taskRuns.record(ws, [record(subTask, sub.id, 'RUNNING', T0 + 3 * SEC)]);
        let s = (await store.spans.get(ws, subTask))!;
        assert.deepEqual([s.trace_id, s.path, s.depth], [sub.id, [sub.id], 1]);
        assert.equal(await store.spans.hasTrace(ws, sub.id), true);
        // Then the subflow, whose tracking task run is not there yet.
        await store.flowRuns.create(ws, sub, state('RUNNING', T0 + 2 * SEC));
        s = (await store.spans.get(ws, subTask))!;
        assert.deepEqual([s.trace_id, s.path, s.depth], [tracking.id, [tracking.id, sub.id], 2]);
        assert.deepEqual((await store.spans.get(ws, sub.id))!.child_state_counts, { 'task-run': { Running: 1 } });
        // Then the tracking task run, whose flow run is not there yet.
        await store.taskRuns.create(ws, tracking, state('PENDING', T0 + SEC));
        s = (await store.spans.get(ws, subTask))!;
        assert.deepEqual([s.trace_id, s.path, s.depth], [root.id, [root.id, tracking.id, sub.id], 3]);
        assert.equal(await store.spans.hasTrace(ws, tracking.id), false);
        // Finally the root.
        const before = (await store.spans.get(ws, subTask))!.version;
        await store.flowRuns.create(ws, root, state('RUNNING', T0));
        const spans = await store.spans.list(ws, root.id, all());
        assert.deepEqual(
          spans
            .map((x) => [x.span_id, x.trace_id, x.depth, x.path.length])
            .sort((a, b) => (a[2] as number) - (b[2] as number)),
          [
            [root.id, root.id, 0, 0],
            [tracking.id, root.id, 1, 1],
            [sub.id, root.id, 2, 2],
            [subTask, root.id, 3, 3],
          ],
        );
        assert.equal((await store.spans.get(ws, subTask))!.version, before, 'already placed under the root: unchanged');
        assert.equal((await store.spans.get(ws, root.id))!.child_count, 1);
        assert.equal(await store.spans.hasTrace(ws, sub.id), false);
      }));

    it('ignores a parent link that would close a cycle', () =>
      withStore(open, async (store, ws) => {
        const f = (await store.flows.upsert(ws, flow('cycle'))).flow;
        const fr = flowRun(f.id);
        const tr = taskRun(fr.id, 'k');
        // The flow run names as its parent a task run that belongs to it.
        await store.flowRuns.create(ws, { ...fr, parent_task_run_id: tr.id }, state('RUNNING', T0));
        await store.taskRuns.create(ws, tr, state('RUNNING', T0 + SEC));
        const task = (await store.spans.get(ws, tr.id))!;
        const run = (await store.spans.get(ws, fr.id))!;
        assert.ok(task.depth + run.depth <= 1);
        assert.ok(!task.path.includes(tr.id) && !run.path.includes(fr.id));
        assert.equal((await store.spans.list(ws, task.trace_id, all())).length >= 1, true);
      }));

    it('removes spans with their runs; a detached subflow becomes the root of its own trace', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        // Deleting the tracking task run detaches the subflow (its parent_task_run_id becomes null).
        assert.equal(await store.taskRuns.delete(ws, t.tracking.id), true);
        assert.equal(await store.spans.get(ws, t.tracking.id), undefined);
        const sub = (await store.spans.get(ws, t.sub.id))!;
        assert.deepEqual([sub.trace_id, sub.parent_span_id, sub.path, sub.depth], [t.sub.id, null, [], 0]);
        const subTask = (await store.spans.get(ws, t.subTask.id))!;
        assert.deepEqual([subTask.trace_id, subTask.path, subTask.depth], [t.sub.id, [t.sub.id], 1]);
        assert.deepEqual((await store.spans.get(ws, t.root.id))!.child_state_counts, {
          'task-run': { Completed: 1, Failed: 1 },
        });
        assert.deepEqual(await store.traces.flowRunIds(ws, t.root.id), [t.root.id]);
        assert.deepEqual(await store.traces.flowRunIds(ws, t.sub.id), [t.sub.id]);

        assert.equal(await store.artifacts.delete(ws, t.artifactId), true);
        assert.equal(await store.spans.get(ws, t.artifactId), undefined);
        assert.equal((await store.spans.get(ws, t.extract.id))!.child_count, 0);

        await store.artifacts.create(ws, artifact({ flow_run_id: t.root.id, key: 'summary' }));
        assert.equal(await store.flowRuns.delete(ws, t.root.id), true);
        assert.equal(await store.spans.hasTrace(ws, t.root.id), false);
        assert.equal(await store.spans.get(ws, t.extract.id), undefined);
        assert.equal((await store.spans.list(ws, t.sub.id, all())).length, 2);
      }));

    it('counts tags over a trace and over a span with all its descendants', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        assert.deepEqual(await store.spans.observedTags(ws, { traceId: t.root.id }), [
          { tag: 'check', count: 2 },
          { tag: 'etl', count: 2 },
          { tag: 'io', count: 2 },
          { tag: 'prod', count: 1 },
        ]);
        assert.deepEqual(await store.spans.observedTags(ws, { traceId: t.root.id }, 'E'), [{ tag: 'etl', count: 2 }]);
        assert.deepEqual(await store.spans.observedTags(ws, { spanId: t.tracking.id }), [
          { tag: 'check', count: 1 },
          { tag: 'etl', count: 1 },
        ]);
        assert.deepEqual(await store.spans.observedTags(ws, { spanId: t.validate.id }), [
          { tag: 'check', count: 1 },
          { tag: 'io', count: 1 },
        ]);
        assert.deepEqual(await store.spans.observedTags(ws, { spanId: uuid7() }), []);
        assert.deepEqual(await store.spans.observedTags(ws, { traceId: uuid7() }), []);
      }));

    it("observes state pairs: entered by the workspace's runs, and current in a trace, with first and last seen", () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        // A trace: the states its spans are in now (every span went through Pending too).
        const trace = await store.spans.observedStates(ws, { traceId: t.root.id }, { orderBy: 'NAME_ASC', limit: 100 });
        assert.deepEqual(
          trace.map((s) => `${s.state_type}/${s.state_name}`),
          ['COMPLETED/Completed', 'FAILED/Failed', 'RUNNING/Running'],
        );
        const running = trace.find((s) => s.state_type === 'RUNNING')!;
        assert.deepEqual([running.first_seen, running.last_seen], [T0 + SEC, T0 + SEC]);
        const failed = trace.find((s) => s.state_type === 'FAILED')!;
        assert.ok(failed.first_seen === T0 + 7 * SEC && failed.last_seen >= T0 + 15 * SEC);
        const recent = await store.spans.observedStates(
          ws,
          { traceId: t.root.id },
          { orderBy: 'LAST_SEEN_DESC', limit: 2 },
        );
        assert.equal(recent.length, 2);
        assert.ok(recent[0].last_seen >= recent[1].last_seen);
        assert.deepEqual(
          (
            await store.spans.observedStates(
              ws,
              { traceId: t.root.id },
              { prefix: 'fai', orderBy: 'NAME_ASC', limit: 10 },
            )
          ).map((s) => s.state_name),
          ['Failed'],
        );
        assert.deepEqual(
          (
            await store.spans.observedStates(
              ws,
              { traceId: t.root.id },
              { prefix: 'RUN', orderBy: 'NAME_ASC', limit: 10 },
            )
          ).map((s) => s.state_name),
          ['Running'],
        );

        // Workspace scope: every state ever entered, kept after the runs are deleted.
        const f = (await store.flows.upsert(ws, flow('other'))).flow;
        const other = flowRun(f.id);
        await store.flowRuns.create(ws, other, state('SCHEDULED', T0 + 100 * SEC, { name: 'Late' }));
        await moveFlowRun(store, ws, other.id, ['CANCELLED'], T0 + 200 * SEC);
        await store.flowRuns.delete(ws, t.root.id);
        const wsStates = await store.spans.observedStates(ws, {}, { orderBy: 'LAST_SEEN_DESC', limit: 200 });
        assert.deepEqual(
          wsStates.find((s) => s.state_type === 'CANCELLED'),
          { state_type: 'CANCELLED', state_name: 'Cancelled', first_seen: T0 + 200 * SEC, last_seen: T0 + 200 * SEC },
        );
        for (let i = 1; i < wsStates.length; i++) assert.ok(wsStates[i - 1].last_seen >= wsStates[i].last_seen);
        assert.ok(wsStates.some((s) => s.state_type === 'SCHEDULED' && s.state_name === 'Late'));
        assert.ok(wsStates.some((s) => s.state_type === 'COMPLETED'));
        assert.deepEqual(
          await store.spans.observedStates(ws, { traceId: t.root.id }, { orderBy: 'NAME_ASC', limit: 10 }),
          [],
        );
      }));

    it('keeps workspaces apart', () =>
      withStore(open, async (store, ws) => {
        const t = await smallTrace(store, ws);
        const other = await otherWorkspace(store, 'other-spans', 'other');
        assert.equal(await store.spans.hasTrace(other.id, t.root.id), false);
        assert.equal(await store.spans.get(other.id, t.root.id), undefined);
        assert.deepEqual(await store.spans.list(other.id, t.root.id, all()), []);
        assert.deepEqual(await store.spans.observedStates(other.id, {}, { orderBy: 'NAME_ASC', limit: 10 }), []);
      }));

    it('records a task without a flow run as the root of its own trace', () =>
      withStore(open, async (store, ws) => {
        const id = uuid7();
        await store.taskRuns.record(ws, [record(id, null, 'COMPLETED', T0 + SEC)]);
        const s = (await store.spans.get(ws, id))!;
        assert.deepEqual([s.trace_id, s.depth, s.span_type], [id, 0, 'task-run']);
        assert.equal(await store.spans.hasTrace(ws, id), true);
      }));
  });
}
