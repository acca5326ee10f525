/** SQLite: OpenTelemetry data received over OTLP (contract: `OtelStore`). */
import type { OtelSpanRow } from '../../domain/otlp/spans.ts';
import { nowMicros } from '../../domain/time.ts';
import type { OtelStore, SpanRuns } from '../contract.ts';
import { otelColumns } from '../shared/otel-columns.ts';
import { candidateRuns, spanRuns } from '../shared/otel-runs.ts';
import type { Db } from './db.ts';
import type { SqliteSpanProjection } from './span-projection.ts';
import type { SqliteTenancy } from './tenancy.ts';

const COLUMNS = Object.keys(otelColumns({} as OtelSpanRow, 0));
const UPSERT = `INSERT INTO otel_spans (ws, ${COLUMNS.join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (ws, span_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'span_id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

export class SqliteOtel implements OtelStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly projection: SqliteSpanProjection;

  constructor(db: Db, tenancy: SqliteTenancy, projection: SqliteSpanProjection) {
    this.db = db;
    this.tenancy = tenancy;
    this.projection = projection;
  }

  async writeSpans(workspaceId: string, spans: OtelSpanRow[]): Promise<number[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || spans.length === 0) return [];
    return this.db.tx(() => {
      const received = nowMicros();
      const rejected: number[] = [];
      const traceOf = this.db.stmt('SELECT otel_trace_id FROM otel_spans WHERE ws = ? AND span_id = ?');
      const upsert = this.db.stmt(UPSERT);
      const written: OtelSpanRow[] = [];
      spans.forEach((s, i) => {
        const stored = traceOf.get(ws, s.span_id) as { otel_trace_id: string } | undefined;
        if (stored && stored.otel_trace_id !== s.otel_trace_id) rejected.push(i);
        else {
          const c = otelColumns(s, received);
          upsert.run(ws, ...COLUMNS.map((k) => c[k as keyof typeof c]));
          written.push(s);
        }
      });
      this.projection.otelSpansChanged(ws, written);
      return rejected;
    });
  }

  async knownLogIds(workspaceId: string, ids: string[]): Promise<Set<string>> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || ids.length === 0) return new Set();
    const rows = this.db
      .stmt('SELECT o.id FROM json_each(?) j CROSS JOIN otel_log_ids o WHERE o.ws = ? AND o.id = j.value')
      .all(JSON.stringify(ids), ws) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  async rememberLogIds(workspaceId: string, ids: string[], stored: number): Promise<void> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || ids.length === 0) return;
    this.db.tx(() => {
      const insert = this.db.stmt('INSERT INTO otel_log_ids (ws, id, stored) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      for (const id of ids) insert.run(ws, id, stored);
    });
  }

  async runsOfSpans(workspaceId: string, spanIds: string[]): Promise<Map<string, SpanRuns>> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || spanIds.length === 0) return new Map();
    const ids = JSON.stringify([...new Set(spanIds)]);
    const linked = new Map(
      (
        this.db
          .stmt(
            'SELECT l.otel_span_id, l.run_id FROM json_each(?) j CROSS JOIN otel_links l WHERE l.ws = ? AND l.otel_span_id = j.value',
          )
          .all(ids, ws) as { otel_span_id: string; run_id: string }[]
      ).map((r) => [r.otel_span_id, r.run_id]),
    );
    const placed = new Map(
      (
        this.db
          .stmt(
            "SELECT s.span_id, s.path FROM json_each(?) j CROSS JOIN spans s WHERE s.ws = ? AND s.span_id = j.value AND s.span_type = 'otel'",
          )
          .all(ids, ws) as { span_id: string; path: string }[]
      ).map((r) => [r.span_id, JSON.parse(r.path) as string[]]),
    );
    const runs = JSON.stringify(candidateRuns(linked, placed));
    const taskFlow = new Map(
      (
        this.db
          .stmt(
            'SELECT t.id, t.flow_run_id FROM json_each(?) j CROSS JOIN task_runs t WHERE t.ws = ? AND t.id = j.value',
          )
          .all(runs, ws) as { id: string; flow_run_id: string | null }[]
      ).map((r) => [r.id, r.flow_run_id]),
    );
    const flowRuns = new Set(
      (
        this.db
          .stmt('SELECT f.id FROM json_each(?) j CROSS JOIN flow_runs f WHERE f.ws = ? AND f.id = j.value')
          .all(runs, ws) as { id: string }[]
      ).map((r) => r.id),
    );
    return spanRuns(spanIds, linked, placed, taskFlow, flowRuns);
  }
}
