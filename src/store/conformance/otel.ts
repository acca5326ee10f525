import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OtelSpanRow, otelSpanUuid, otelTraceUuid } from '../../domain/otlp/spans.ts';
import type { OpenTestStore } from './index.ts';
import { otherWorkspace, withStore } from './run-fixtures.ts';

const T1 = otelTraceUuid('11111111111111111111111111111111');
const T2 = otelTraceUuid('22222222222222222222222222222222');
const id = (n: number) => otelSpanUuid(n.toString(16).padStart(16, '0'));

function row(trace: string, span: number, parent: number | null, name = `s${span}`): OtelSpanRow {
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
  });
}
