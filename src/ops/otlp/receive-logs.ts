/**
 * OTLP log records → Prefect logs, through the log writer like `POST /logs/` (ADR 41). A record's
 * id is a hash of its content: one already stored (an exporter's retry; the append records the ids)
 * or in flight in this instance is not written again. Runs come from the record's `prefect.*`
 * attributes, else from the run its span belongs to; a record whose span has not joined a run
 * waits for it within `--otlp-link-window` (ADR 48).
 */

import type { NewLog } from '../../domain/logs.ts';
import { attributeRuns, loggerName, logId, logLevel, logMessage, logTimestamp } from '../../domain/otlp/logs.ts';
import type { OtlpLogRecord } from '../../domain/otlp/model.ts';
import { otelSpanUuid } from '../../domain/otlp/spans.ts';
import { nowMicros } from '../../domain/time.ts';
import { type OpContext, type Services, storeOf } from '../context.ts';

/** Ids being written by this instance, per workspace: a retry racing its original is not written twice. */
const inFlight = new WeakMap<Services, Map<string, Set<string>>>();

function flying(services: Services, workspaceId: string): Set<string> {
  let byWs = inFlight.get(services);
  if (!byWs) inFlight.set(services, (byWs = new Map()));
  let set = byWs.get(workspaceId);
  if (!set) byWs.set(workspaceId, (set = new Set()));
  return set;
}

/** Stores valid records (already checked with `logProblem`); resolves once they are committed. */
export async function receiveLogRecords(ctx: OpContext, records: OtlpLogRecord[]): Promise<void> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const busy = flying(ctx.services, ws);
  const byId = new Map<string, OtlpLogRecord>();
  for (const r of records) {
    const id = logId(r);
    if (!busy.has(id)) byId.set(id, r);
  }
  if (!byId.size) return;
  for (const id of await store.otel.knownLogIds(ws, [...byId.keys()])) byId.delete(id);
  const ids = [...byId.keys()];
  for (const id of ids) busy.add(id);
  try {
    const bySpan = await store.otel.runsOfSpans(
      ws,
      [...byId.values()].filter((r) => r.spanId !== '').map((r) => otelSpanUuid(r.spanId)),
    );
    const created = nowMicros();
    // Records whose span has not joined a run wait for it that long (`--otlp-link-window`; 0 = not at all).
    const window = ctx.services.config['otlp-link-window'] * 1_000_000;
    const rows: NewLog[] = [];
    for (const [id, r] of byId) {
      let runs = attributeRuns(r);
      let otlp: NewLog['otlp'] = {};
      if (runs.flow_run_id === null && runs.task_run_id === null && r.spanId !== '') {
        const spanId = otelSpanUuid(r.spanId);
        const joined = bySpan.get(spanId);
        if (joined) runs = joined;
        else if (window > 0) otlp = { waitFor: { spanId, until: created + window } };
      }
      rows.push({
        workspaceId: ws,
        id,
        created,
        name: loggerName(r.scope.name),
        level: logLevel(r.severityNumber, r.severityText),
        message: logMessage(r.body),
        timestamp: logTimestamp(r),
        flow_run_id: runs.flow_run_id,
        task_run_id: runs.task_run_id,
        worker_id: null,
        otlp,
      });
    }
    await ctx.services.logWriter.add(rows);
  } finally {
    for (const id of ids) busy.delete(id);
  }
}
