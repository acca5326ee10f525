/** PostgreSQL: OpenTelemetry data received over OTLP (contract: `OtelStore`). */
import type { OtelSpanRow } from '../../domain/otlp/spans.ts';
import { nowMicros } from '../../domain/time.ts';
import type { OtelStore, SpanRuns } from '../contract.ts';
import { otelColumns } from '../shared/otel-columns.ts';
import { otelLockKey, type PgDb } from './db.ts';
import { readSpanRuns } from './otel-log-links.ts';
import { insertRows } from './recordset.ts';
import type { PgSpanProjection } from './span-projection.ts';
import type { PgTenancy } from './tenancy.ts';

const COLUMNS = Object.keys(otelColumns({} as OtelSpanRow, 0)).filter((c) => c !== 'span_id');

export class PgOtel implements OtelStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly projection: PgSpanProjection;

  constructor(db: PgDb, tenancy: PgTenancy, projection: PgSpanProjection) {
    this.db = db;
    this.tenancy = tenancy;
    this.projection = projection;
  }

  async writeSpans(workspaceId: string, spans: OtelSpanRow[]): Promise<number[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || spans.length === 0) return [];
    return this.db.tx(async (c) => {
      // One OTel writer per workspace at a time: a child and its parent exported at once (each
      // span is exported when it ends) would otherwise commit side by side, neither seeing the
      // other, and the parent would miss the child in its counts.
      await c.query('SELECT pg_advisory_xact_lock($1)', [otelLockKey(ws)]);
      const received = nowMicros();
      const r = await c.query(
        'SELECT span_id, otel_trace_id FROM otel_spans WHERE ws = $1 AND span_id = ANY($2::text[])',
        [ws, [...new Set(spans.map((s) => s.span_id))]],
      );
      const traceOf = new Map(
        (r.rows as { span_id: string; otel_trace_id: string }[]).map((x) => [x.span_id, x.otel_trace_id]),
      );
      const rejected: number[] = [];
      // The last of several sends of one span in the batch wins, as it would one at a time.
      const rows = new Map<string, ReturnType<typeof otelColumns> & { ws: number }>();
      const written = new Map<string, OtelSpanRow>();
      spans.forEach((s, i) => {
        const trace = traceOf.get(s.span_id);
        if (trace !== undefined && trace !== s.otel_trace_id) rejected.push(i);
        else {
          traceOf.set(s.span_id, s.otel_trace_id);
          rows.set(s.span_id, { ws, ...otelColumns(s, received) });
          written.set(s.span_id, s);
        }
      });
      if (rows.size) {
        await insertRows(
          c,
          'otel_spans',
          [...rows.values()],
          `ON CONFLICT (ws, span_id) DO UPDATE SET ${COLUMNS.map((k) => `${k} = excluded.${k}`).join(', ')}`,
        );
        await this.projection.otelSpansChanged(c, ws, [...written.values()]);
      }
      return rejected;
    });
  }

  async knownLogIds(workspaceId: string, ids: string[]): Promise<Set<string>> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || ids.length === 0) return new Set();
    const r = await this.db.pool.query('SELECT id FROM otel_log_ids WHERE ws = $1 AND id = ANY($2::text[])', [ws, ids]);
    return new Set((r.rows as { id: string }[]).map((x) => x.id));
  }

  async runsOfSpans(workspaceId: string, spanIds: string[]): Promise<Map<string, SpanRuns>> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? new Map() : readSpanRuns(this.db.pool, ws, spanIds);
  }
}
