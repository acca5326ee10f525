/** SQLite: event storage, dedup, filtering, and the projections run inside the append. */
import type { EventQuery, EventScope, NewEvent, StoredEvent } from '../../domain/events.ts';
import type { EventAppendResult, EventProjection, EventStore } from '../contract.ts';
import type { Db } from './db.ts';
import { eventFilterSql, type Param } from './event-filter-sql.ts';
import type { SqliteTenancy } from './tenancy.ts';

const INSERT =
  'INSERT INTO events (acct, ws, id, occurred, received, event, resource_id, resource, related, payload, follows) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const INSERT_RELATED = 'INSERT INTO event_related (rid, ws, seq, role) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
const COLUMNS = 'e.seq, e.acct, e.ws, e.id, e.occurred, e.received, e.event, e.resource_id, e.resource, e.related, e.payload, e.follows';

interface Row {
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

export type SqliteEventProjection = EventProjection<Db>;

export class SqliteEvents implements EventStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly projections: SqliteEventProjection[];
  private readonly accountKeys = new Map<string, number>();
  private readonly accountIds = new Map<number, string>();
  private readonly workspaceIds = new Map<number, string>();

  constructor(db: Db, tenancy: SqliteTenancy, projections: SqliteEventProjection[]) {
    this.db = db;
    this.tenancy = tenancy;
    this.projections = projections;
  }

  /** Adds a projection run inside every later append transaction. */
  registerEventProjection(p: SqliteEventProjection): void {
    this.projections.push(p);
  }

  accountKey(accountId: string): number | undefined {
    let k = this.accountKeys.get(accountId);
    if (k === undefined) {
      const row = this.db.stmt('SELECT rowid AS k FROM accounts WHERE id = ?').get(accountId) as { k: number } | undefined;
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

  private workspaceId(key: number): string | null {
    if (key === 0) return null;
    let id = this.workspaceIds.get(key);
    if (id === undefined) {
      id = (this.db.stmt('SELECT id FROM workspaces WHERE ws = ?').get(key) as { id: string }).id;
      this.workspaceIds.set(key, id);
    }
    return id;
  }

  async append(events: NewEvent[]): Promise<EventAppendResult> {
    if (events.length === 0) return { inserted: [], duplicates: 0 };
    return this.db.tx(() => {
      const insert = this.db.stmt(INSERT);
      const insertRelated = this.db.stmt(INSERT_RELATED);
      const inserted: StoredEvent[] = [];
      for (const e of events) {
        const acct = this.accountKey(e.accountId);
        if (acct === undefined) throw new Error(`unknown account ${e.accountId}`);
        const ws = e.workspaceId === null ? 0 : this.tenancy.key(e.workspaceId);
        if (ws === undefined) throw new Error(`unknown workspace ${e.workspaceId}`);
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
        );
        if (r.changes === 0) continue;
        const seq = Number(r.lastInsertRowid);
        for (const rel of e.related) insertRelated.run(rel['prefect.resource.id'], ws, seq, rel['prefect.resource.role']);
        inserted.push({ ...e, seq });
      }
      if (inserted.length) for (const p of this.projections) p.apply(this.db, inserted);
      return { inserted, duplicates: events.length - inserted.length };
    });
  }

  /** WHERE clause (scope + filter + seq bounds), or undefined when the scope cannot match. */
  private where(scope: EventScope, q: Omit<EventQuery, 'limit'>, params: Param[]): string | undefined {
    let where: string;
    if (scope.kind === 'workspace') {
      const ws = this.tenancy.key(scope.workspaceId);
      if (ws === undefined) return undefined;
      where = `e.ws = ${ws}`;
    } else {
      const acct = this.accountKey(scope.accountId);
      if (acct === undefined) return undefined;
      where = `e.acct = ${acct}`;
    }
    where += ` AND ${eventFilterSql(q.filter, params, (ids) => ids.map((id) => this.tenancy.key(id)).filter((k) => k !== undefined))}`;
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

  async query(scope: EventScope, q: EventQuery): Promise<StoredEvent[]> {
    const params: Param[] = [];
    const where = this.where(scope, q, params);
    if (where === undefined) return [];
    const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
    let from = 'events e';
    let outer = '1';
    if (q.filter.resource?.distinct) {
      from = `(SELECT ${COLUMNS}, row_number() OVER (PARTITION BY e.resource_id ORDER BY e.occurred ${dir}, e.id ${dir}) AS rn FROM events e WHERE ${where}) e`;
      outer = 'e.rn = 1';
    } else {
      outer = where;
    }
    if (q.after) {
      outer += ` AND (e.occurred, e.id) ${dir === 'ASC' ? '>' : '<'} (?, ?)`;
      params.push(q.after.occurred, q.after.id);
    }
    params.push(q.limit, q.offset ?? 0);
    const sql = `SELECT ${COLUMNS} FROM ${from} WHERE ${outer} ORDER BY e.occurred ${dir}, e.id ${dir} LIMIT ? OFFSET ?`;
    const rows = this.db.stmt(sql).all(...params) as unknown as Row[];
    return rows.map((r) => this.toEvent(r));
  }

  async count(scope: EventScope, q: Omit<EventQuery, 'limit' | 'offset' | 'after'>): Promise<number> {
    const params: Param[] = [];
    const where = this.where(scope, q, params);
    if (where === undefined) return 0;
    const what = q.filter.resource?.distinct ? 'count(DISTINCT e.resource_id)' : 'count(*)';
    const row = this.db.stmt(`SELECT ${what} AS n FROM events e WHERE ${where}`).get(...params) as { n: number };
    return row.n;
  }

  async maxSeq(): Promise<number> {
    const row = this.db.stmt('SELECT seq FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  toEvent(r: Row): StoredEvent {
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
