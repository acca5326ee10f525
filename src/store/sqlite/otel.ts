/** SQLite: OpenTelemetry data received over OTLP (contract: `OtelStore`). */
import type { OtelSpanRow } from '../../domain/otlp/spans.ts';
import { nowMicros } from '../../domain/time.ts';
import type { OtelStore, SpanRuns } from '../contract.ts';
import { otelColumns } from '../shared/otel-columns.ts';
import type { Db } from './db.ts';
import { readSpanRuns } from './otel-log-links.ts';
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

  async runsOfSpans(workspaceId: string, spanIds: string[]): Promise<Map<string, SpanRuns>> {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? new Map() : readSpanRuns(this.db, ws, spanIds);
  }
}
