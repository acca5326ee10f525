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
// A re-sent span replaces itself; one whose id another trace holds changes nothing (0 rows).
const UPSERT = `INSERT INTO otel_spans (ws, ${COLUMNS.join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (ws, span_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'span_id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')} WHERE otel_spans.otel_trace_id = excluded.otel_trace_id`;

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
      const upsert = this.db.stmt(UPSERT);
      const written: OtelSpanRow[] = [];
      spans.forEach((s, i) => {
        const c = otelColumns(s, received);
        if (upsert.run(ws, ...COLUMNS.map((k) => c[k as keyof typeof c])).changes) written.push(s);
        else rejected.push(i);
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
