/**
 * PostgreSQL: event storage (bulk insert through unnest, dedup on `(ws, id, occurred)`), filtering,
 * count-by, a flow run's events, and the projections run inside the append transaction.
 */
import type pg from 'pg';
import { actorOf, FLOW_RUN_PREFIX, TASK_RUN_PREFIX } from '../../domain/event-derived.ts';
import type {
  CountKey,
  EventCountRow,
  EventFilter,
  EventOrder,
  EventQuery,
  EventScope,
  NewEvent,
  StoredEvent,
  TimeBuckets,
} from '../../domain/events.ts';
import type { EventAppendResult, EventProjection, EventStore } from '../contract.ts';
import { byRelatedIds, firstOfEachId, prefixUpperBound, ridHash } from '../shared/event-keys.ts';
import { eventFilterSql } from '../sql/event-filters.ts';
import { type PgDb, prepared } from './db.ts';
import { param } from './dialect.ts';
import { countEvents } from './event-counts.ts';
import { pgEventSql } from './event-sql.ts';
import { DayPartitions } from './partitions.ts';
import { allocateSeqs, committedUpto } from './streams.ts';
import type { PgTenancy } from './tenancy.ts';

export const COLUMNS =
  'e.ws, e.seq, e.id, e.occurred, e.received, e.event, e.resource_id, e.resource, e.related, e.payload, e.follows';

const INSERT = `INSERT INTO events (ws, seq, id, occurred, received, event, resource_id, resource, related, payload, follows, rid_hashes, actor_id, actor_name)
  SELECT ws, seq, id, occurred, received, event, resource_id, resource::json, related::json, payload::json, follows,
    ARRAY(SELECT jsonb_array_elements_text(rids::jsonb)::bigint), actor_id, actor_name
  FROM unnest($1::int[], $2::int8[], $3::uuid[], $4::int8[], $5::int8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::uuid[], $12::text[], $13::text[], $14::text[])
    AS t(ws, seq, id, occurred, received, event, resource_id, resource, related, payload, follows, rids, actor_id, actor_name)
  ON CONFLICT DO NOTHING RETURNING seq`;

interface Row {
  ws: number;
  seq: number;
  id: string;
  occurred: number;
  received: number;
  event: string;
  resource_id: string;
  resource: Record<string, string>;
  related: Record<string, string>[];
  payload: Record<string, unknown>;
  follows: string | null;
}

/** What a PostgreSQL projection gets: the transaction's client and each inserted event's `ws` key. */
export interface PgEventTx {
  c: pg.PoolClient;
  ws(e: StoredEvent): number;
}

export type PgEventProjection = EventProjection<PgEventTx>;

export class PgEvents implements EventStore {
  readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly projections: PgEventProjection[];
  readonly partitions: DayPartitions;
  private readonly accountKeys = new Map<string, number>();
  private readonly accountIds = new Map<number, string>();
  private readonly workspaceIds = new Map<number, { id: string; accountId: string }>();

  constructor(db: PgDb, tenancy: PgTenancy, projections: PgEventProjection[]) {
    this.db = db;
    this.tenancy = tenancy;
    this.projections = projections;
    this.partitions = new DayPartitions(db, [{ name: 'events', lz4: ['resource', 'related', 'payload'] }], 'occurred');
  }

  /** Adds a projection run inside every later append transaction. */
  registerEventProjection(p: PgEventProjection): void {
    this.projections.push(p);
  }

  async accountKey(accountId: string): Promise<number | undefined> {
    let k = this.accountKeys.get(accountId);
    if (k === undefined) {
      const row = await this.db.one<{ k: number }>('SELECT k FROM accounts WHERE id = $1', [accountId]);
      if (!row) return undefined;
      k = row.k;
      this.accountKeys.set(accountId, k);
      this.accountIds.set(k, accountId);
    }
    return k;
  }

  /** `events.ws` of a tenant: the workspace key, or minus the account key. */
  async tenantKey(e: { accountId: string; workspaceId: string | null }): Promise<number | undefined> {
    if (e.workspaceId !== null) return this.tenancy.key(e.workspaceId);
    const k = await this.accountKey(e.accountId);
    return k === undefined ? undefined : -k;
  }

  /** Account and workspace ids of a `ws` key. */
  async tenantOf(ws: number): Promise<{ accountId: string; workspaceId: string | null }> {
    if (ws < 0) {
      let id = this.accountIds.get(-ws);
      if (id === undefined) {
        id = (await this.db.one<{ id: string }>('SELECT id FROM accounts WHERE k = $1', [-ws]))!.id;
        this.accountIds.set(-ws, id);
      }
      return { accountId: id, workspaceId: null };
    }
    let w = this.workspaceIds.get(ws);
    if (!w) {
      const r = (await this.db.one<{ id: string; account_id: string }>(
        'SELECT id, account_id FROM workspaces WHERE ws = $1',
        [ws],
      ))!;
      w = { id: r.id, accountId: r.account_id };
      this.workspaceIds.set(ws, w);
    }
    return { accountId: w.accountId, workspaceId: w.id };
  }

  /** The `ws` keys a scope reads, or undefined when it does not exist. */
  async scopeKeys(scope: EventScope): Promise<number[] | undefined> {
    if (scope.kind === 'workspace') {
      const k = await this.tenancy.key(scope.workspaceId);
      return k === undefined ? undefined : [k];
    }
    const acct = await this.accountKey(scope.accountId);
    if (acct === undefined) return undefined;
    const rows = await this.db.query<{ ws: number }>('SELECT ws FROM workspaces WHERE account_id = $1', [
      scope.accountId,
    ]);
    return [-acct, ...rows.map((r) => r.ws)];
  }

  async append(batch: NewEvent[]): Promise<EventAppendResult> {
    if (batch.length === 0) return { inserted: [], duplicates: 0 };
    const events = firstOfEachId(batch);
    const n = events.length;
    const keys: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = await this.tenantKey(events[i]);
      if (k === undefined) throw new Error(`unknown tenant ${events[i].workspaceId ?? events[i].accountId}`);
      keys[i] = k;
    }
    await this.partitions.ensureFor(events.map((e) => e.occurred));
    const wsOf = new Map<StoredEvent, number>();
    return this.db.tx(async (c) => {
      const seqs = await allocateSeqs(c, 'events', n);
      const cols: unknown[][] = Array.from({ length: 14 }, () => new Array(n));
      for (let i = 0; i < n; i++) {
        const e = events[i];
        cols[0][i] = keys[i];
        cols[1][i] = seqs[i];
        cols[2][i] = e.id;
        cols[3][i] = e.occurred;
        cols[4][i] = e.received;
        // Text arrives without NUL (PostgreSQL cannot hold it): see `cleanText` in the domain.
        cols[5][i] = e.event;
        cols[6][i] = e.resourceId;
        cols[7][i] = JSON.stringify(e.resource);
        cols[8][i] = JSON.stringify(e.related);
        cols[9][i] = JSON.stringify(e.payload);
        cols[10][i] = e.follows;
        cols[11][i] = JSON.stringify(e.related.map((r) => ridHash(r['prefect.resource.id'])));
        const actor = actorOf(e);
        cols[12][i] = actor ? actor['prefect.resource.id'] : null;
        cols[13][i] = actor?.['prefect.resource.name'] ?? null;
      }
      const r = await c.query(INSERT, cols);
      const ok = new Set<number>(r.rows.map((row: { seq: number }) => row.seq));
      const inserted: StoredEvent[] = [];
      for (let i = 0; i < n; i++) {
        if (!ok.has(seqs[i])) continue;
        const s: StoredEvent = { ...events[i], seq: seqs[i] };
        wsOf.set(s, keys[i]);
        inserted.push(s);
      }
      if (inserted.length) {
        const tx: PgEventTx = { c, ws: (e) => wsOf.get(e)! };
        for (const p of this.projections) await p.apply(tx, inserted);
      }
      return { inserted, duplicates: batch.length - inserted.length };
    });
  }

  /** WHERE clause (scope + filter + seq bounds) over `events e`, or undefined when the scope does not exist. */
  async where(scope: EventScope, q: Omit<EventQuery, 'limit'>, p: unknown[]): Promise<string | undefined> {
    const keys = await this.scopeKeys(scope);
    if (!keys) return undefined;
    // With related ids, keep the planner off `(ws, occurred, id)`: before a partition has statistics
    // it reads the whole window through that index instead of the few matches through the GIN index.
    const ws = byRelatedIds(q.filter) ? '(e.ws + 0)' : 'e.ws';
    let where = keys.length === 1 ? `${ws} = ${param(p, keys[0])}` : `${ws} = ANY(${param(p, keys)}::int[])`;
    let wsKeys: number[] | undefined;
    if (q.filter.workspaces) {
      wsKeys = [];
      for (const id of q.filter.workspaces) {
        const k = await this.tenancy.key(id);
        if (k !== undefined) wsKeys.push(k);
      }
    }
    where += ` AND ${eventFilterSql(pgEventSql, q.filter, p, wsKeys)}`;
    if (q.maxSeq !== undefined) where += ` AND e.seq <= ${param(p, q.maxSeq)}`;
    if (q.minSeq !== undefined) where += ` AND e.seq > ${param(p, q.minSeq)}`;
    return where;
  }

  async query(scope: EventScope, q: EventQuery): Promise<StoredEvent[]> {
    const p: unknown[] = [];
    const where = await this.where(scope, q, p);
    if (where === undefined) return [];
    const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
    let from = 'events e';
    let outer = where;
    if (q.filter.resource?.distinct) {
      from = `(SELECT ${COLUMNS}, row_number() OVER (PARTITION BY e.resource_id ORDER BY e.occurred ${dir}, e.id ${dir}) AS rn FROM events e WHERE ${where}) e`;
      outer = 'e.rn = 1';
    }
    if (q.after)
      outer += ` AND (e.occurred, e.id) ${dir === 'ASC' ? '>' : '<'} (${param(p, q.after.occurred)}, ${param(p, q.after.id)}::uuid)`;
    // Related ids match few events: sort them rather than walk the window in `occurred` order.
    const occurred = byRelatedIds(q.filter) ? '(e.occurred + 0)' : 'e.occurred';
    const sql = `SELECT ${COLUMNS} FROM ${from} WHERE ${outer} ORDER BY ${occurred} ${dir}, e.id ${dir} LIMIT ${param(p, q.limit)} OFFSET ${param(p, q.offset ?? 0)}`;
    return this.toEvents(await prepared<Row>(this.db, sql, p));
  }

  async count(scope: EventScope, q: Omit<EventQuery, 'limit' | 'offset' | 'after'>): Promise<number> {
    const p: unknown[] = [];
    const where = await this.where(scope, q, p);
    if (where === undefined) return 0;
    const what = q.filter.resource?.distinct ? 'count(DISTINCT e.resource_id)' : 'count(*)';
    const [row] = await prepared<{ n: number }>(this.db, `SELECT ${what} AS n FROM events e WHERE ${where}`, p);
    return row.n;
  }

  /** Every event up to here is committed (writers commit out of order; see `streams.ts`). */
  maxSeq(): Promise<number> {
    return committedUpto(this.db, 'events');
  }

  countBy(scope: EventScope, key: CountKey, filter: EventFilter, buckets?: TimeBuckets): Promise<EventCountRow[]> {
    return countEvents(this, scope, key, filter, buckets);
  }

  async runEvents(
    workspaceId: string,
    flowRunId: string,
    q: { withTaskRuns: boolean; order: EventOrder; offset: number; limit: number },
  ): Promise<StoredEvent[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const rid = `${FLOW_RUN_PREFIX}${flowRunId}`;
    const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
    const p: unknown[] = [];
    const wsP = param(p, ws);
    const ridP = param(p, rid);
    let sql = `SELECT ${COLUMNS} FROM events e WHERE e.ws = ${wsP} AND e.resource_id = ${ridP}`;
    if (q.withTaskRuns) {
      sql +=
        ` UNION ALL SELECT ${COLUMNS} FROM events e WHERE e.ws = ${wsP} AND e.rid_hashes && ARRAY[${param(p, ridHash(rid))}::bigint]` +
        ` AND e.resource_id >= ${param(p, TASK_RUN_PREFIX)} AND e.resource_id < ${param(p, prefixUpperBound(TASK_RUN_PREFIX))}` +
        ` AND EXISTS (SELECT 1 FROM json_array_elements(e.related) r WHERE r ->> 'prefect.resource.id' = ${ridP} AND r ->> 'prefect.resource.role' = 'flow-run')`;
    }
    sql = `SELECT * FROM (${sql}) e ORDER BY e.occurred ${dir}, e.id ${dir} LIMIT ${param(p, q.limit)} OFFSET ${param(p, q.offset)}`;
    return this.toEvents(await prepared<Row>(this.db, sql, p));
  }

  async runEventCount(workspaceId: string, flowRunId: string, withTaskRuns: boolean): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const row = await this.db.one<{ own: number; task: number }>(
      'SELECT own, task FROM flow_run_event_counts WHERE ws = $1 AND flow_run_id = $2',
      [ws, flowRunId],
    );
    return row ? row.own + (withTaskRuns ? row.task : 0) : 0;
  }

  async toEvents(rows: Row[]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const t = await this.tenantOf(r.ws);
      out[i] = {
        seq: r.seq,
        accountId: t.accountId,
        workspaceId: t.workspaceId,
        id: r.id,
        occurred: r.occurred,
        received: r.received,
        event: r.event,
        resourceId: r.resource_id,
        resource: r.resource,
        related: r.related,
        payload: r.payload,
        follows: r.follows,
      };
    }
    return out;
  }
}
