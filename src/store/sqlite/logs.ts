/** SQLite: log storage, filtering and the text indexer. */
import type { LogFilter, LogQuery, LogRow, NewLog } from '../../domain/logs.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import type { LogStore } from '../contract.ts';
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';
import { textSearchSql } from './text-search.ts';

const COLUMNS = 'seq, id, created, name, level, message, timestamp, flow_run_id, task_run_id, worker_id';
const INSERT =
  'INSERT INTO logs (ws, id, created, timestamp, level, name, message, flow_run_id, task_run_id, worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

type Param = string | number | null;

export class SqliteLogs implements LogStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async append(logs: NewLog[]): Promise<LogRow[]> {
    if (logs.length === 0) return [];
    return this.db.tx(() => {
      const insert = this.db.stmt(INSERT);
      const out: LogRow[] = new Array(logs.length);
      for (let i = 0; i < logs.length; i++) {
        const l = logs[i];
        const ws = this.tenancy.key(l.workspaceId);
        if (ws === undefined) throw new Error(`unknown workspace ${l.workspaceId}`);
        const r = insert.run(ws, l.id, l.created, l.timestamp, l.level, l.name, l.message, l.flow_run_id, l.task_run_id, l.worker_id);
        out[i] = {
          seq: Number(r.lastInsertRowid),
          id: l.id,
          created: l.created,
          name: l.name,
          level: l.level,
          message: l.message,
          timestamp: l.timestamp,
          flow_run_id: l.flow_run_id,
          task_run_id: l.task_run_id,
          worker_id: l.worker_id,
        };
      }
      return out;
    });
  }

  async filter(workspaceId: string, query: LogQuery): Promise<LogRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: Param[] = [ws];
    let where = 'ws = ?';
    const cond = this.filterSql(query.filter, params);
    if (cond) where += ` AND (${cond})`;
    const desc = query.sort === 'TIMESTAMP_DESC';
    if (query.after) {
      where += ` AND (timestamp, seq) ${desc ? '<' : '>'} (?, ?)`;
      params.push(query.after.timestamp, query.after.seq);
    }
    const dir = desc ? 'DESC' : 'ASC';
    params.push(query.limit, query.offset);
    const sql = `SELECT ${COLUMNS} FROM logs WHERE ${where} ORDER BY timestamp ${dir}, seq ${dir} LIMIT ? OFFSET ?`;
    return this.db.stmt(sql).all(...params) as unknown as LogRow[];
  }

  private filterSql(f: LogFilter, params: Param[]): string {
    const conds: string[] = [];
    const inList = (col: string, values: string[]) => {
      params.push(...values);
      return values.length ? `${col} IN (${values.map(() => '?').join(', ')})` : '0';
    };
    if (f.level) {
      const c: string[] = [];
      if (f.level.ge_ !== undefined) {
        c.push('level >= ?');
        params.push(f.level.ge_);
      }
      if (f.level.le_ !== undefined) {
        c.push('level <= ?');
        params.push(f.level.le_);
      }
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.timestamp) {
      const c: string[] = [];
      if (f.timestamp.after_ !== undefined) {
        c.push('timestamp >= ?');
        params.push(f.timestamp.after_);
      }
      if (f.timestamp.before_ !== undefined) {
        c.push('timestamp <= ?');
        params.push(f.timestamp.before_);
      }
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.flow_run_id?.any_) conds.push(inList('flow_run_id', f.flow_run_id.any_));
    if (f.task_run_id) {
      const c: string[] = [];
      if (f.task_run_id.any_) c.push(inList('task_run_id', f.task_run_id.any_));
      if (f.task_run_id.is_null_ !== undefined) c.push(f.task_run_id.is_null_ ? 'task_run_id IS NULL' : 'task_run_id IS NOT NULL');
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.worker_id) {
      const c: string[] = [];
      if (f.worker_id.any_) c.push(inList('worker_id', f.worker_id.any_));
      if (f.worker_id.not_any_?.length) c.push(`(worker_id IS NULL OR NOT ${inList('worker_id', f.worker_id.not_any_)})`);
      if (f.worker_id.is_null_ !== undefined) c.push(f.worker_id.is_null_ ? 'worker_id IS NULL' : 'worker_id IS NOT NULL');
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.loggers?.any_) conds.push(inList('name', f.loggers.any_));
    if (f.text) {
      const q = parseTextQuery(f.text.query);
      if (!isBlank(q)) {
        const t = textSearchSql(q, "message || ' ' || name", 'seq', 'logs_text', this.indexedUpto());
        params.push(...t.params);
        conds.push(t.sql);
      }
    }
    return conds.map((c) => `(${c})`).join(f.operator === 'or_' ? ' OR ' : ' AND ');
  }

  private indexedUpto(): number {
    const row = this.db.stmt("SELECT value FROM meta WHERE key = 'logs_text_indexed_upto'").get() as { value: string };
    return Number(row.value);
  }

  async indexText(maxRows: number): Promise<number> {
    return this.db.tx(() => {
      const from = this.indexedUpto();
      const last = this.db
        .stmt('SELECT max(seq) AS upto, count(*) AS n FROM (SELECT seq FROM logs WHERE seq > ? ORDER BY seq LIMIT ?)')
        .get(from, maxRows) as { upto: number | null; n: number };
      if (!last.upto) return 0;
      this.db
        .stmt("INSERT INTO logs_text (rowid, text) SELECT seq, message || ' ' || name FROM logs WHERE seq > ? AND seq <= ?")
        .run(from, last.upto);
      this.db.stmt("UPDATE meta SET value = ? WHERE key = 'logs_text_indexed_upto'").run(String(last.upto));
      return last.n;
    });
  }

  async textIndexLag(): Promise<number> {
    const row = this.db.stmt('SELECT count(*) AS n FROM logs WHERE seq > ?').get(this.indexedUpto()) as { n: number };
    return row.n;
  }
}
