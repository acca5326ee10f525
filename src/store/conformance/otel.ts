import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OtelSpanRow, otelSpanUuid, otelTraceUuid } from '../../domain/otlp/spans.ts';
import type { Store } from '../contract.ts';
import type { OpenTestStore } from './index.ts';
import { flow, flowRun, otherWorkspace, state, taskRun, withStore } from './run-fixtures.ts';

export const T1 = otelTraceUuid('11111111111111111111111111111111');
const T2 = otelTraceUuid('22222222222222222222222222222222');
export const id = (n: number) => otelSpanUuid(n.toString(16).padStart(16, '0'));

export function row(trace: string, span: number, parent: number | null, name = `s${span}`): OtelSpanRow {
  return {
    span_id: id(span),
    otel_trace_id: trace,
    otel_parent_id: parent === null ? null : id(parent),
    name,
    start_time: 1_000_000 + span,
    end_time: 2_000_000 + span,
    state_type: 'COMPLETED',
    state_name: 'Completed',
    attributes: { 'otel.kind': 'internal', n: span },
    events: [],
    run_id: null,
  };
}

export function otelConformance(open: OpenTestStore): void {
  describe('otel spans', () => {
    it('places a chain written children first, in one call, under the OTel trace', () =>
      withStore(open, async (store, ws) => {
        assert.deepEqual(await store.otel.writeSpans(ws, [row(T1, 3, 2), row(T1, 2, 1), row(T1, 1, null)]), []);
        const leaf = await store.spans.get(ws, id(3));
        assert.equal(leaf?.trace_id, T1);
        assert.equal(leaf?.span_type, 'otel');
        assert.deepEqual(leaf?.path, [id(1), id(2)]);
        assert.equal(leaf?.depth, 2);
        assert.equal((await store.spans.get(ws, id(1)))?.child_count, 1);
        assert.deepEqual((await store.spans.get(ws, id(2)))?.child_state_counts, { otel: { Completed: 1 } });
        assert.equal(leaf?.total_run_time, 1_000_000);
      }));

    it('stores spans whose parents form a cycle in one call, each once, without hanging', () =>
      withStore(open, async (store, ws) => {
        // Hostile: 1 under 2 under 1, and 3 under 1; every span is stored.
        assert.deepEqual(await store.otel.writeSpans(ws, [row(T1, 3, 1), row(T1, 1, 2), row(T1, 2, 1)]), []);
        for (const n of [1, 2, 3]) assert.equal((await store.spans.get(ws, id(n)))?.span_type, 'otel');
        assert.equal((await store.spans.get(ws, id(3)))?.parent_span_id, id(1));
      }));

    it('places the same chain written one span per call, children first', () =>
      withStore(open, async (store, ws) => {
        for (const r of [row(T1, 3, 2), row(T1, 2, 1), row(T1, 1, null)]) await store.otel.writeSpans(ws, [r]);
        assert.deepEqual((await store.spans.get(ws, id(3)))?.path, [id(1), id(2)]);
        assert.equal((await store.spans.get(ws, id(1)))?.child_count, 1);
        assert.equal((await store.spans.get(ws, id(2)))?.child_count, 1);
      }));

    it('replaces a re-sent span without a new version, and rejects an id another trace holds', () =>
      withStore(open, async (store, ws) => {
        await store.otel.writeSpans(ws, [row(T1, 1, null)]);
        const first = await store.spans.get(ws, id(1));
        assert.deepEqual(await store.otel.writeSpans(ws, [row(T1, 1, null)]), []);
        assert.equal((await store.spans.get(ws, id(1)))?.version, first?.version);
        assert.deepEqual(await store.otel.writeSpans(ws, [row(T1, 1, null, 'renamed')]), []);
        assert.equal((await store.spans.get(ws, id(1)))?.name, 'renamed');
        // Another trace: the stored id, and an id taken earlier in the same call.
        assert.deepEqual(
          await store.otel.writeSpans(ws, [row(T2, 1, null), row(T2, 5, null), row(T1, 5, null)]),
          [0, 2],
        );
        assert.equal((await store.spans.get(ws, id(1)))?.trace_id, T1);
        assert.equal((await store.spans.get(ws, id(5)))?.trace_id, T2);
      }));

    it('keeps workspaces apart', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        await store.otel.writeSpans(ws, [row(T1, 1, null)]);
        assert.deepEqual(await store.otel.writeSpans(other.id, [row(T2, 1, null)]), []);
        assert.equal((await store.spans.get(ws, id(1)))?.trace_id, T1);
        assert.equal((await store.spans.get(other.id, id(1)))?.trace_id, T2);
      }));

    it('observes the states OTel spans are in', () =>
      withStore(open, async (store, ws) => {
        await store.otel.writeSpans(ws, [{ ...row(T1, 1, null), state_type: 'FAILED', state_name: 'Error' }]);
        const states = await store.spans.observedStates(ws, {}, { orderBy: 'NAME_ASC', limit: 10 });
        assert.ok(states.some((s) => s.state_type === 'FAILED' && s.state_name === 'Error'));
      }));

    it("finds the runs of OTel spans: a run's own span by its label or prefect.run.id, a span beneath a run", () =>
      withStore(open, async (store, ws) => {
        const { fr, tr } = await runsWithOtelLabels(store, ws);
        // The task's OTel span (label) is span 10; 11 names the flow run by prefect.run.id; 12 sits under the task.
        await store.otel.writeSpans(ws, [
          { ...row(T1, 11, null), run_id: fr },
          row(T1, 12, 10),
          row(T1, 13, 12),
          row(T2, 14, null),
        ]);
        const runs = await store.otel.runsOfSpans(ws, [id(10), id(11), id(12), id(13), id(14), id(99)]);
        assert.deepEqual(runs.get(id(10)), { flow_run_id: fr, task_run_id: tr });
        assert.deepEqual(runs.get(id(11)), { flow_run_id: fr, task_run_id: null });
        assert.deepEqual(runs.get(id(13)), { flow_run_id: fr, task_run_id: tr });
        assert.equal(runs.has(id(14)), false);
        assert.equal(runs.has(id(99)), false);
        // The spans under the task run sit in the flow run's trace; the one naming the flow run is not a span.
        assert.deepEqual((await store.spans.get(ws, id(13)))?.path, [fr, tr, id(12)]);
        assert.equal(await store.spans.get(ws, id(11)), undefined);
        assert.equal((await store.spans.get(ws, fr))?.attributes['otel.kind'], 'internal');
      }));

    it('moves the OTel spans under a run when their parent comes to stand for another run', () =>
      withStore(open, async (store, ws) => {
        const { tr } = await runsWithOtelLabels(store, ws);
        await store.otel.writeSpans(ws, [row(T1, 13, 12), row(T1, 12, 10)]);
        assert.equal((await store.spans.get(ws, id(12)))?.parent_span_id, tr);
        // Another run's label now names OTel span 10: the newest link wins, its children follow.
        const other = flowRun(
          (await store.flowRuns.get(ws, (await store.taskRuns.get(ws, tr))!.flow_run_id!))!.flow_id,
        );
        await store.flowRuns.create(ws, other, state('RUNNING', 2_000_000));
        const traceparent = `00-${'1'.repeat(32)}-${'0'.repeat(14)}0a-01`;
        assert.equal(
          await store.flowRuns.mergeLabels(ws, other.id, { __OTEL_TRACEPARENT: traceparent }, 3_000_000),
          true,
        );
        const moved = await store.spans.get(ws, id(12));
        assert.equal(moved?.parent_span_id, other.id);
        assert.equal(moved?.trace_id, (await store.spans.get(ws, other.id))?.trace_id);
        assert.deepEqual((await store.spans.get(ws, id(13)))?.path, [other.id, id(12)]);
        assert.equal((await store.spans.get(ws, tr))?.child_count, 0);
      }));

    it('lets the OTel spans beneath a deleted run go with it; other traces stay', () =>
      withStore(open, async (store, ws) => {
        const { fr, tr } = await runsWithOtelLabels(store, ws);
        await store.otel.writeSpans(ws, [
          { ...row(T1, 11, null), run_id: fr },
          row(T1, 12, 10),
          row(T1, 13, 12),
          row(T2, 14, null),
        ]);
        assert.equal(await store.flowRuns.delete(ws, fr), true);
        for (const gone of [fr, tr, id(12), id(13)]) assert.equal(await store.spans.get(ws, gone), undefined, gone);
        assert.equal((await store.otel.runsOfSpans(ws, [id(10), id(11), id(13)])).size, 0);
        assert.equal((await store.spans.get(ws, id(14)))?.trace_id, T2);
        // A late re-send of a span of the deleted run's trace is an OTel trace of its own again.
        await store.otel.writeSpans(ws, [row(T1, 13, 12)]);
        assert.equal((await store.spans.get(ws, id(13)))?.parent_span_id, id(12));
      }));
  });
}

/** A flow run and a task run whose `__OTEL_TRACEPARENT` names OTel span 10. */
export async function runsWithOtelLabels(store: Store, ws: string): Promise<{ fr: string; tr: string }> {
  const f = flow(`otel-${Math.random()}`);
  await store.flows.upsert(ws, f);
  const fr = flowRun(f.id);
  await store.flowRuns.create(ws, fr, state('RUNNING', 1_000_000));
  const tr = taskRun(fr.id, 'extract', {
    labels: { __OTEL_TRACEPARENT: `00-${'1'.repeat(32)}-${'0'.repeat(14)}0a-01` },
  });
  await store.taskRuns.create(ws, tr, state('RUNNING', 1_000_000));
  return { fr: fr.id, tr: tr.id };
}
