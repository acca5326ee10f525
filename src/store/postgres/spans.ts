/** PostgreSQL: reading spans and what they observed (the projection is `span-projection.ts`). */
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
import type { PgDb, Row } from './db.ts';
import { pgDialect } from './dialect.ts';
import { toSpan } from './run-rows.ts';
import { PgSpanProjection } from './span-projection.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgSpans implements SpanStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  /** Called by the run stores inside their write transactions. */
  readonly projection = new PgSpanProjection();

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async hasTrace(workspaceId: string, traceId: string): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    return (
      ws !== undefined &&
      (await this.db.one('SELECT 1 FROM spans WHERE ws = $1 AND trace_id = $2 LIMIT 1', [ws, traceId])) !== undefined
    );
  }

  async get(workspaceId: string, spanId: string): Promise<SpanRow | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const r = await this.db.one<Row>(`${SPAN_SELECT} WHERE s.ws = $1 AND s.span_id = $2`, [ws, spanId]);
    return r ? toSpan(r) : undefined;
  }

  async getMany(workspaceId: string, traceId: string, ids: string[]): Promise<SpanRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || ids.length === 0) return [];
    const rows = await this.db.query<Row>(
      `${SPAN_SELECT} WHERE s.ws = $1 AND s.trace_id = $2 AND s.span_id = ANY($3::text[]) ORDER BY ${spanOrder(false)}`,
      [ws, traceId, [...new Set(ids)]],
    );
    return rows.map(toSpan);
  }

  async list(workspaceId: string, traceId: string, q: SpanListQuery): Promise<SpanRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: unknown[] = [ws, traceId];
    const where = ['s.ws = $1', 's.trace_id = $2', ...spanConditions(pgDialect, q.filters, params)];
    if (q.after) where.push(spanAfter(pgDialect, q.after, q.descending, params));
    params.push(q.limit);
    const sql = `${SPAN_SELECT} WHERE ${where.join(' AND ')} ORDER BY ${spanOrder(q.descending)} LIMIT $${params.length}`;
    return (await this.db.query<Row>(sql, params)).map(toSpan);
  }

  async observedTags(
    workspaceId: string,
    scope: { traceId: string } | { spanId: string },
    prefix?: string,
  ): Promise<ObservedTag[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const tally =
      'SELECT t.tag, count(DISTINCT s.span_id) AS count FROM spans s CROSS JOIN LATERAL jsonb_array_elements_text(s.tags) AS t(tag)';
    const rows =
      'traceId' in scope
        ? await this.db.query<ObservedTag>(`${tally} WHERE s.ws = $1 AND s.trace_id = $2 GROUP BY t.tag`, [
            ws,
            scope.traceId,
          ])
        : await this.db.query<ObservedTag>(
            `WITH RECURSIVE d(id) AS (
               SELECT span_id FROM spans WHERE ws = $1 AND span_id = $2
               UNION SELECT c.span_id FROM d JOIN spans c ON c.ws = $1 AND c.parent_span_id = d.id
             ) ${tally} WHERE s.ws = $1 AND s.span_id IN (SELECT id FROM d) GROUP BY t.tag`,
            [ws, scope.spanId],
          );
    return selectObservedTags(rows, prefix);
  }

  async observedStates(
    workspaceId: string,
    scope: { traceId?: string },
    query: ObservedStateQuery,
  ): Promise<ObservedState[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const rows =
      scope.traceId === undefined
        ? await this.db.query<ObservedState>(
            'SELECT state_type, state_name, first_seen, last_seen FROM span_observed_states WHERE ws = $1',
            [ws],
          )
        : await this.db.query<ObservedState>(
            `SELECT state_type, state_name, min(state_timestamp) AS first_seen, max(state_timestamp) AS last_seen FROM spans
              WHERE ws = $1 AND trace_id = $2 AND state_type IS NOT NULL GROUP BY state_type, state_name`,
            [ws, scope.traceId],
          );
    return selectObservedStates(rows, query);
  }
}
