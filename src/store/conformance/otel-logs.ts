/**
 * OTLP log records in the log store (ADR 41, ADR 48): ids recorded by the append itself, and
 * records waiting for their span to join a run, linked by the write that joins it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewLog } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Store } from '../contract.ts';
import type { OpenTestStore } from './index.ts';
import { logQuery, newLog } from './log-fixtures.ts';
import { id, row, runsWithOtelLabels, T1 } from './otel.ts';
import { flow, flowRun, otherWorkspace, SEC, state, withStore } from './run-fixtures.ts';

const HOUR = 3600 * SEC;

/** An OTLP record of logger `app` waiting for OTel span `span` until `until` (default: an hour from now). */
function waiting(ws: string, span: number, until = nowMicros() + HOUR, over: Partial<NewLog> = {}): NewLog {
  return newLog(ws, {
    name: 'app',
    level: 40,
    message: `waits for ${span}`,
    otlp: { waitFor: { spanId: id(span), until } },
    ...over,
  });
}

async function logOf(store: Store, ws: string, logId: string) {
  return (await store.logs.filter(ws, logQuery())).find((l) => l.id === logId);
}

export function otelLogsConformance(open: OpenTestStore): void {
  describe('OTLP logs', () => {
    it('records the ids of OTLP records in the append, per workspace', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        const [a, b, plain] = [newLog(ws, { otlp: {} }), waiting(ws, 1), newLog(ws)];
        assert.deepEqual(await store.otel.knownLogIds(ws, [a.id]), new Set());
        await store.logs.append([a, b, plain]);
        assert.deepEqual(await store.otel.knownLogIds(ws, [a.id, b.id, plain.id]), new Set([a.id, b.id]));
        assert.deepEqual(await store.otel.knownLogIds(other.id, [a.id]), new Set());
      }));

    it("links a waiting record when a run's label names its span, and the run's statistics follow", () =>
      withStore(open, async (store, ws) => {
        const log = waiting(ws, 10);
        await store.logs.append([log, newLog(ws, { name: 'app' })]);
        const { fr, tr } = await runsWithOtelLabels(store, ws);
        const linked = await logOf(store, ws, log.id);
        assert.equal(linked?.flow_run_id, fr);
        assert.equal(linked?.task_run_id, tr);
        assert.deepEqual(await store.logs.runStats(ws, fr), { count: 1, maxSeq: linked!.seq, warnings: 0, errors: 1 });
        assert.deepEqual(
          (await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, flowRunIds: [fr] })).map((l) => [
            l.name,
            l.count,
          ]),
          [['app', 1]],
        );
        // The workspace's logger statistics counted both records once, at their append.
        const all = await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, prefix: 'app' });
        assert.deepEqual(
          all.map((l) => [l.name, l.count]),
          [['app', 2]],
        );
        assert.equal((await store.logs.filter(ws, logQuery({ task_run_id: { any_: [tr] } }))).length, 1);
        assert.equal((await store.logs.getInRun(ws, fr, log.id))?.id, log.id);
      }));

    it('links records of spans placed beneath a run later, moved there by re-rooting, or joined by then', () =>
      withStore(open, async (store, ws) => {
        const { fr, tr } = await runsWithOtelLabels(store, ws);
        // 13 waits under 12, which is not there yet; 12 then arrives beneath the task's span 10.
        const [l12, l13] = [waiting(ws, 12), waiting(ws, 13)];
        await store.logs.append([l12, l13]);
        await store.otel.writeSpans(ws, [row(T1, 13, 12)]);
        assert.equal((await logOf(store, ws, l13.id))?.task_run_id, null);
        await store.otel.writeSpans(ws, [row(T1, 12, 10)]);
        for (const l of [l12, l13]) {
          const got = await logOf(store, ws, l.id);
          assert.deepEqual([got?.flow_run_id, got?.task_run_id], [fr, tr], l.message);
        }
        // A record whose span joined after the caller looked takes the run in the append.
        const late = waiting(ws, 13);
        await store.logs.append([late]);
        assert.equal((await logOf(store, ws, late.id))?.task_run_id, tr);
        assert.equal((await store.logs.runStats(ws, fr))?.count, 3);
      }));

    it('links a record whose span named a run before the run was written', () =>
      withStore(open, async (store, ws) => {
        const f = flow(`otel-${Math.random()}`);
        await store.flows.upsert(ws, f);
        const fr = flowRun(f.id);
        const log = waiting(ws, 11);
        await store.logs.append([log]);
        await store.otel.writeSpans(ws, [{ ...row(T1, 11, null), run_id: fr.id }]);
        assert.equal((await logOf(store, ws, log.id))?.flow_run_id, null);
        await store.flowRuns.create(ws, fr, state('RUNNING', 1_000_000));
        assert.equal((await logOf(store, ws, log.id))?.flow_run_id, fr.id);
        assert.equal((await store.logs.runStats(ws, fr.id))?.count, 1);
      }));

    it('leaves a record unlinked once its window has passed', () =>
      withStore(open, async (store, ws) => {
        const log = waiting(ws, 10, nowMicros() - 1);
        await store.logs.append([log]);
        const { fr } = await runsWithOtelLabels(store, ws);
        assert.equal((await logOf(store, ws, log.id))?.flow_run_id, null);
        assert.equal(await store.logs.runStats(ws, fr), undefined);
      }));
  });
}
