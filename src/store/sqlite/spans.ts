/** SQLite: reading spans and what they observed (the projection is `span-projection.ts`). */
import {
  type ObservedState,
  type ObservedStateQuery,
  type ObservedTag,
  selectObservedStates,
  selectObservedTags,
} from '../../domain/spans/observed.ts';
import type { SpanListQuery } from '../../domain/spans/query.ts';
import type { SpanRow } from '../../domain/spans/span.ts';
import type { SpanStore } from '../contract.ts';
import { SPAN_SELECT } from '../shared/span-columns.ts';
import { spanAfter, spanConditions, spanOrder } from '../sql/span-filters.ts';
import type { Db } from './db.ts';
import { sqliteDialect } from './dialect.ts';
import type { Row } from './run-rows.ts';
import { toSpan } from './run-rows.ts';
import { SqliteSpanProjection } from './span-projection.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteSpans implements SpanStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  /** Called by the run stores inside their write transactions. */
  readonly projection: SqliteSpanProjection;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
    this.projection = new SqliteSpanProjection(db);
  }

  async hasTrace(workspaceId: string, traceId: string): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    return (
      ws !== undefined &&
      this.db.stmt('SELECT 1 FROM spans WHERE ws = ? AND trace_id = ? LIMIT 1').get(ws, traceId) !== undefined
    );
  }

  async get(workspaceId: string, spanId: string): Promise<SpanRow | undefined> {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : this.projection.get(ws, spanId);
  }

  async getMany(workspaceId: string, traceId: string, ids: string[]): Promise<SpanRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || ids.length === 0) return [];
    // The id list is one JSON parameter (one cached statement whatever the number of ids), walked
    // first so that each id is a primary-key lookup rather than a scan of the trace.
    const sql = `${SPAN_SELECT.replace('FROM spans s', 'FROM json_each(?3) j CROSS JOIN spans s')}
      WHERE s.ws = ?1 AND s.span_id = j.value AND s.trace_id = ?2 ORDER BY ${spanOrder(false)}`;
    return (this.db.stmt(sql).all(ws, traceId, JSON.stringify([...new Set(ids)])) as Row[]).map(toSpan);
  }

  async list(workspaceId: string, traceId: string, q: SpanListQuery): Promise<SpanRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: unknown[] = [ws, traceId];
    const where = ['s.ws = ?', 's.trace_id = ?', ...spanConditions(sqliteDialect, q.filters, params)];
    if (q.after) where.push(spanAfter(sqliteDialect, q.after, q.descending, params));
    params.push(q.limit);
    const sql = `${SPAN_SELECT} WHERE ${where.join(' AND ')} ORDER BY ${spanOrder(q.descending)} LIMIT ?`;
    return (this.db.stmt(sql).all(...(params as never[])) as Row[]).map(toSpan);
  }

  async observedTags(
    workspaceId: string,
    scope: { traceId: string } | { spanId: string },
    prefix?: string,
  ): Promise<ObservedTag[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    let rows: ObservedTag[];
    if ('traceId' in scope) {
      rows = this.db
        .stmt(
          // Read from the covering index alone (rowid identifies the span there).
          `SELECT j.value AS tag, count(DISTINCT s.rowid) AS count FROM spans s INDEXED BY spans_trace_observed, json_each(s.tags) j
            WHERE s.ws = ? AND s.trace_id = ? AND s.tags <> '[]' GROUP BY j.value`,
        )
        .all(ws, scope.traceId) as unknown as ObservedTag[];
    } else {
      rows = this.db
        .stmt(
          `WITH RECURSIVE d(id) AS (
              SELECT span_id FROM spans WHERE ws = ?1 AND span_id = ?2
              UNION SELECT c.span_id FROM d CROSS JOIN spans c WHERE c.ws = ?1 AND c.parent_span_id = d.id
            )
            SELECT j.value AS tag, count(DISTINCT s.span_id) AS count FROM spans s, json_each(s.tags) j
            WHERE s.ws = ?1 AND s.span_id IN (SELECT id FROM d) GROUP BY j.value`,
        )
        .all(ws, scope.spanId) as unknown as ObservedTag[];
    }
    return selectObservedTags(
      rows.map((r) => ({ tag: String(r.tag), count: r.count })),
      prefix,
    );
  }

  async observedStates(
    workspaceId: string,
    scope: { traceId?: string },
    query: ObservedStateQuery,
  ): Promise<ObservedState[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    let rows: ObservedState[];
    if (scope.traceId === undefined) {
      rows = this.db
        .stmt('SELECT state_type, state_name, first_seen, last_seen FROM span_observed_states WHERE ws = ?')
        .all(ws) as unknown as ObservedState[];
    } else {
      rows = this.db
        .stmt(
          `SELECT state_type, state_name, min(state_timestamp) AS first_seen, max(state_timestamp) AS last_seen FROM spans
            WHERE ws = ? AND trace_id = ? AND state_type IS NOT NULL GROUP BY state_type, state_name`,
        )
        .all(ws, scope.traceId) as unknown as ObservedState[];
    }
    return selectObservedStates(
      rows.map((r) => ({ ...r })),
      query,
    );
  }
}
