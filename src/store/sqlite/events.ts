/** SQLite: event storage, dedup, filtering, and the projections run inside the append. */
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
import { countPlan } from '../shared/event-count-plan.ts';
import { byRelatedIds, firstOfEachId, prefixUpperBound, ridHash } from '../shared/event-keys.ts';
import { eventFilterSql } from '../sql/event-filters.ts';
import type { Db } from './db.ts';
import { countEvents, prefixedNames, totalFromRollups } from './event-counts.ts';
import { type Param, sqliteEventSql } from './event-sql.ts';
import type { SqliteTenancy } from './tenancy.ts';

const INSERT =
  'INSERT INTO events (acct, ws, id, occurred, received, event, resource_id, resource, related, payload, follows, actor_id, actor_name) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const INSERT_RELATED = 'INSERT INTO event_related (rid_hash, seq) VALUES (?, ?) ON CONFLICT DO NOTHING';
/** Past this many matches a page is read in `occurred` order instead of through the filter's index. */
const DENSE_MATCHES = 20_000;

export const COLUMNS =
  'e.seq, e.acct, e.ws, e.id, e.occurred, e.received, e.event, e.resource_id, e.resource, e.related, e.payload, e.follows';

export interface EventRow {
  seq: number;
  acct: number;
  ws: number;
  id: string;
  occurred: number;
  received: number;
  event: string;
  resource_id: string;
  resource: string;
  related: string;
  payload: string;
  follows: string | null;
}

/** What a SQLite projection gets: the connection (inside the transaction) and the tenant keys. */
export interface SqliteEventTx {
  db: Db;
  /** `acct` key of an inserted event's account. */
  acct(e: StoredEvent): number;
  /** `ws` key of an inserted event's workspace (0 for account-scope events). */
  ws(e: StoredEvent): number;
}

export type SqliteEventProjection = EventProjection<SqliteEventTx>;

export class SqliteEvents implements EventStore {
  readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly projections: SqliteEventProjection[];
  private readonly accountKeys = new Map<string, number>();
  private readonly accountIds = new Map<number, string>();
  private readonly workspaceIds = new Map<number, string>();

  private readonly tx: SqliteEventTx;

  constructor(db: Db, tenancy: SqliteTenancy, projections: SqliteEventProjection[]) {
    this.db = db;
    this.tenancy = tenancy;
    this.projections = projections;
    this.tx = {
      db,
      acct: (e) => this.accountKey(e.accountId)!,
      ws: (e) => (e.workspaceId === null ? 0 : this.tenancy.key(e.workspaceId)!),
    };
  }

  /** Adds a projection run inside every later append transaction. */
  registerEventProjection(p: SqliteEventProjection): void {
    this.projections.push(p);
  }

  tenancyKey(workspaceId: string): number | undefined {
    return this.tenancy.key(workspaceId);
  }

  accountKey(accountId: string): number | undefined {
    let k = this.accountKeys.get(accountId);
    if (k === undefined) {
      const row = this.db.stmt('SELECT rowid AS k FROM accounts WHERE id = ?').get(accountId) as
        | { k: number }
        | undefined;
      if (!row) return undefined;
      k = row.k;
      this.accountKeys.set(accountId, k);
      this.accountIds.set(k, accountId);
    }
    return k;
  }

  private accountId(key: number): string {
    let id = this.accountIds.get(key);
    if (id === undefined) {
      id = (this.db.stmt('SELECT id FROM accounts WHERE rowid = ?').get(key) as { id: string }).id;
      this.accountIds.set(key, id);
    }
    return id;
  }

  workspaceId(key: number): string | null {
    if (key === 0) return null;
    let id = this.workspaceIds.get(key);
    if (id === undefined) {
      id = (this.db.stmt('SELECT id FROM workspaces WHERE ws = ?').get(key) as { id: string }).id;
      this.workspaceIds.set(key, id);
    }
    return id;
  }

  async append(batch: NewEvent[]): Promise<EventAppendResult> {
    if (batch.length === 0) return { inserted: [], duplicates: 0 };
    const events = firstOfEachId(batch);
    return this.db.tx(() => {
      const insert = this.db.stmt(INSERT);
      const insertRelated = this.db.stmt(INSERT_RELATED);
      const inserted: StoredEvent[] = [];
      for (const e of events) {
        const acct = this.accountKey(e.accountId);
        if (acct === undefined) throw new Error(`unknown account ${e.accountId}`);
        const ws = e.workspaceId === null ? 0 : this.tenancy.key(e.workspaceId);
        if (ws === undefined) throw new Error(`unknown workspace ${e.workspaceId}`);
        const actor = actorOf(e);
        const r = insert.run(
          acct,
          ws,
          e.id,
          e.occurred,
          e.received,
          e.event,
          e.resourceId,
          JSON.stringify(e.resource),
          JSON.stringify(e.related),
          JSON.stringify(e.payload),
          e.follows,
          actor?.['prefect.resource.id'] ?? null,
          actor?.['prefect.resource.name'] || null,
        );
        if (r.changes === 0) continue;
        const seq = Number(r.lastInsertRowid);
        for (const rel of e.related) insertRelated.run(ridHash(rel['prefect.resource.id']), seq);
        inserted.push({ ...e, seq });
      }
      if (inserted.length) for (const p of this.projections) p.apply(this.tx, inserted);
      return { inserted, duplicates: batch.length - inserted.length };
    });
  }

  /** WHERE clause over `events e` (scope + filter + seq bounds), or undefined when the scope cannot match. */
  where(scope: EventScope, q: Omit<EventQuery, 'limit'>, params: Param[]): string | undefined {
    let where: string;
    if (scope.kind === 'workspace') {
      const ws = this.tenancy.key(scope.workspaceId);
      if (ws === undefined) return undefined;
      where = `e.ws = ${ws}`;
    } else {
      const acct = this.accountKey(scope.accountId);
      if (acct === undefined) return undefined;
      const keys = this.db.stmt('SELECT ws FROM workspaces WHERE account_id = ?').all(scope.accountId) as {
        ws: number;
      }[];
      where = `e.ws IN (0${keys.map((k) => `, ${k.ws}`).join('')}) AND e.acct = ${acct}`;
    }
    const wsKeys = q.filter.workspaces?.map((id) => this.tenancy.key(id)).filter((k) => k !== undefined);
    where += ` AND ${eventFilterSql(sqliteEventSql, q.filter, params, wsKeys)}`;
    if (q.filter.event?.prefix?.length && !q.filter.event.name?.length) {
      const names = prefixedNames(this, scope, q.filter);
      where += names.length ? ` AND e.event IN (${names.map(() => '?').join(', ')})` : ' AND 0';
      params.push(...names);
    }
    if (q.maxSeq !== undefined) {
      where += ' AND e.seq <= ?';
      params.push(q.maxSeq);
    }
    if (q.minSeq !== undefined) {
      where += ' AND e.seq > ?';
      params.push(q.minSeq);
    }
    return where;
  }

  /**
   * The index that finds the filter's rows with the fewest reads. SQLite's planner, without
   * statistics, prefers the `(ws, occurred)` index for its order and then filters every event of
   * the window — seconds for a rare resource id on a large database — so the choice is made here.
   */
  driver(q: Omit<EventQuery, 'limit'>): string | undefined {
    const f = q.filter;
    // New rows of a live stream: a rowid range.
    if (q.minSeq !== undefined) return 'NOT INDEXED';
    if (f.ids?.length) return 'INDEXED BY events_dedup';
    if (f.resource?.id?.length) return 'INDEXED BY events_ws_resource';
    // Related ids: candidates from `event_related` by rowid (no index on events).
    if (byRelatedIds(f)) return 'NOT INDEXED';
    if (f.event?.name?.length || f.event?.prefix?.length) return 'INDEXED BY events_ws_event';
    return undefined;
  }

  /**
   * Fetching a page through the filter's own index means reading and sorting every match; when
   * matches are many, walking `(ws, occurred)` in order and stopping after the page is cheaper.
   */
  private pageDriver(q: EventQuery, where: string, params: Param[]): string {
    const driver = this.driver(q);
    if (!driver || q.minSeq !== undefined) return driver ?? '';
    const probe = this.db
      .stmt(`SELECT count(*) AS n FROM (SELECT 1 FROM events e ${driver} WHERE ${where} LIMIT ${DENSE_MATCHES})`)
      .get(...params) as { n: number };
    return probe.n < DENSE_MATCHES ? driver : 'INDEXED BY events_ws_occurred';
  }

  async query(scope: EventScope, q: EventQuery): Promise<StoredEvent[]> {
    const params: Param[] = [];
    const where = this.where(scope, q, params);
    if (where === undefined) return [];
    const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
    const index = this.pageDriver(q, where, params);
    let from = `events e ${index}`;
    let outer = '1';
    if (q.filter.resource?.distinct) {
      from = `(SELECT ${COLUMNS}, row_number() OVER (PARTITION BY e.resource_id ORDER BY e.occurred ${dir}, e.id ${dir}) AS rn FROM events e ${index} WHERE ${where}) e`;
      outer = 'e.rn = 1';
    } else {
      outer = where;
    }
    if (q.after) {
      outer += ` AND (e.occurred, e.id) ${dir === 'ASC' ? '>' : '<'} (?, ?)`;
      params.push(q.after.occurred, q.after.id);
    }
    params.push(q.limit, q.offset ?? 0);
    const order = `ORDER BY e.occurred ${dir}, e.id ${dir}`;
    // Sort the matches' keys, then read the page's rows: sorting whole events (payloads of a
    // kilobyte or more) costs more than finding them.
    const sql = q.filter.resource?.distinct
      ? `SELECT ${COLUMNS} FROM ${from} WHERE ${outer} ${order} LIMIT ? OFFSET ?`
      : `SELECT ${COLUMNS} FROM events e WHERE e.seq IN (SELECT e.seq FROM ${from} WHERE ${outer} ${order} LIMIT ? OFFSET ?) ${order}`;
    const rows = this.db.stmt(sql).all(...params) as unknown as EventRow[];
    return rows.map((r) => this.toEvent(r));
  }

  async count(scope: EventScope, q: Omit<EventQuery, 'limit' | 'offset' | 'after'>): Promise<number> {
    const plan =
      q.filter.resource?.distinct || q.minSeq !== undefined
        ? undefined
        : countPlan(scope, 'event', q.filter, undefined);
    if (!plan?.rollup) return this.countExact(scope, q);
    const rollup = plan.rollup;
    return this.db.read(() =>
      totalFromRollups(this, scope, q, { ...plan, rollup }, (part) => this.countExact(scope, part)),
    );
  }

  private countExact(scope: EventScope, q: Omit<EventQuery, 'limit' | 'offset' | 'after'>): number {
    const params: Param[] = [];
    const where = this.where(scope, q, params);
    if (where === undefined) return 0;
    const what = q.filter.resource?.distinct ? 'count(DISTINCT e.resource_id)' : 'count(*)';
    const row = this.db
      .stmt(`SELECT ${what} AS n FROM events e ${this.driver(q) ?? ''} WHERE ${where}`)
      .get(...params) as { n: number };
    return row.n;
  }

  countBy(scope: EventScope, key: CountKey, filter: EventFilter, buckets?: TimeBuckets): Promise<EventCountRow[]> {
    return countEvents(this, scope, key, filter, buckets);
  }

  async runEvents(
    workspaceId: string,
    flowRunId: string,
    q: { withTaskRuns: boolean; order: EventOrder; offset: number; limit: number },
  ): Promise<StoredEvent[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const rid = `${FLOW_RUN_PREFIX}${flowRunId}`;
    const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
    const params: Param[] = [ws, rid];
    let sql = `SELECT ${COLUMNS} FROM events e INDEXED BY events_ws_resource WHERE e.ws = ? AND e.resource_id = ?`;
    if (q.withTaskRuns) {
      sql +=
        ` UNION ALL SELECT ${COLUMNS} FROM events e NOT INDEXED WHERE e.seq IN (SELECT seq FROM event_related WHERE rid_hash = ?)` +
        ' AND e.ws = ? AND e.resource_id >= ? AND e.resource_id < ?' +
        ` AND EXISTS (SELECT 1 FROM json_each(e.related) r WHERE r.value ->> 'prefect.resource.id' = ? AND r.value ->> 'prefect.resource.role' = 'flow-run')`;
      params.push(ridHash(rid), ws, TASK_RUN_PREFIX, prefixUpperBound(TASK_RUN_PREFIX)!, rid);
    }
    sql = `SELECT * FROM (${sql}) e ORDER BY e.occurred ${dir}, e.id ${dir} LIMIT ? OFFSET ?`;
    params.push(q.limit, q.offset);
    return (this.db.stmt(sql).all(...params) as unknown as EventRow[]).map((r) => this.toEvent(r));
  }

  async runEventCount(workspaceId: string, flowRunId: string, withTaskRuns: boolean): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const row = this.db
      .stmt('SELECT own, task FROM flow_run_event_counts WHERE ws = ? AND flow_run_id = ?')
      .get(ws, flowRunId) as { own: number; task: number } | undefined;
    return row ? row.own + (withTaskRuns ? row.task : 0) : 0;
  }

  async maxSeq(): Promise<number> {
    const row = this.db.stmt('SELECT seq FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  toEvent(r: EventRow): StoredEvent {
    return {
      seq: r.seq,
      accountId: this.accountId(r.acct),
      workspaceId: this.workspaceId(r.ws),
      id: r.id,
      occurred: r.occurred,
      received: r.received,
      event: r.event,
      resourceId: r.resource_id,
      resource: JSON.parse(r.resource),
      related: JSON.parse(r.related),
      payload: JSON.parse(r.payload),
      follows: r.follows,
    };
  }
}
