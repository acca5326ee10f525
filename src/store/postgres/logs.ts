/** PostgreSQL: log storage (bulk insert through unnest), filtering and the text indexer. */
import type { LogFilter, LogQuery, LogRow, NewLog } from '../../domain/logs.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import type { LogStore } from '../contract.ts';
import type { PgDb } from './db.ts';
import { Params } from './params.ts';
import { DayPartitions } from './partitions.ts';
import { allocateSeqs, committedUpto } from './streams.ts';
import type { PgTenancy } from './tenancy.ts';
import { type TextSearchTarget, textSearchSql } from './text-search.ts';

const COLUMNS = 'seq, id, created, name, level, message, "timestamp", flow_run_id, task_run_id, worker_id';

// One statement for the whole batch: parallel arrays, one per column.
const INSERT = `INSERT INTO logs (ws, seq, id, created, "timestamp", level, name, message, flow_run_id, task_run_id, worker_id)
  SELECT * FROM unnest($1::int[], $2::int8[], $3::uuid[], $4::int8[], $5::int8[], $6::int[], $7::text[], $8::text[], $9::uuid[], $10::uuid[], $11::uuid[])`;

const TEXT: TextSearchTarget = {
  alias: 'l',
  table: 'logs',
  text: (a) => `${a}.message || ' ' || ${a}.name`,
  textTable: 'logs_text',
  watermarkKey: 'logs_text_indexed_upto',
};

export class PgLogs implements LogStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  readonly partitions: DayPartitions;

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
    this.partitions = new DayPartitions(db, ['logs', 'logs_text']);
  }

  async append(logs: NewLog[]): Promise<LogRow[]> {
    if (logs.length === 0) return [];
    const n = logs.length;
    const wsKeys = new Map<string, number>();
    for (const l of logs) {
      if (wsKeys.has(l.workspaceId)) continue;
      const k = await this.tenancy.key(l.workspaceId);
      if (k === undefined) throw new Error(`unknown workspace ${l.workspaceId}`);
      wsKeys.set(l.workspaceId, k);
    }
    await this.partitions.ensureFor(logs.map((l) => l.timestamp));
    const cols: unknown[][] = Array.from({ length: 11 }, () => new Array(n));
    return this.db.tx(async (c) => {
      const seqs = await allocateSeqs(c, 'logs', n);
      const out: LogRow[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const l = logs[i];
        cols[0][i] = wsKeys.get(l.workspaceId);
        cols[1][i] = seqs[i];
        cols[2][i] = l.id;
        cols[3][i] = l.created;
        cols[4][i] = l.timestamp;
        cols[5][i] = l.level;
        cols[6][i] = l.name;
        cols[7][i] = l.message;
        cols[8][i] = l.flow_run_id;
        cols[9][i] = l.task_run_id;
        cols[10][i] = l.worker_id;
        out[i] = {
          seq: seqs[i],
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
      await c.query(INSERT, cols);
      return out;
    });
  }

  async filter(workspaceId: string, query: LogQuery): Promise<LogRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const p = new Params();
    const wsParam = p.add(ws);
    let where = `l.ws = ${wsParam}`;
    const cond = this.filterSql(query.filter, p, wsParam);
    if (cond) where += ` AND (${cond})`;
    const desc = query.sort === 'TIMESTAMP_DESC';
    if (query.after) where += ` AND (l."timestamp", l.seq) ${desc ? '<' : '>'} (${p.add(query.after.timestamp)}, ${p.add(query.after.seq)})`;
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT ${COLUMNS} FROM logs l WHERE ${where} ORDER BY l."timestamp" ${dir}, l.seq ${dir} LIMIT ${p.add(query.limit)} OFFSET ${p.add(query.offset)}`;
    return this.db.query<LogRow>(sql, p.values);
  }

  private filterSql(f: LogFilter, p: Params, ws: string): string {
    const conds: string[] = [];
    const both = (c: string[]) => {
      if (c.length) conds.push(c.join(' AND '));
    };
    const anyOf = (col: string, values: string[], type: string) => (values.length ? `${col} = ANY(${p.add(values)}::${type}[])` : 'false');
    if (f.level) {
      const c: string[] = [];
      if (f.level.ge_ !== undefined) c.push(`l.level >= ${p.add(f.level.ge_)}`);
      if (f.level.le_ !== undefined) c.push(`l.level <= ${p.add(f.level.le_)}`);
      both(c);
    }
    if (f.timestamp) {
      const c: string[] = [];
      if (f.timestamp.after_ !== undefined) c.push(`l."timestamp" >= ${p.add(f.timestamp.after_)}`);
      if (f.timestamp.before_ !== undefined) c.push(`l."timestamp" <= ${p.add(f.timestamp.before_)}`);
      both(c);
    }
    if (f.flow_run_id?.any_) conds.push(anyOf('l.flow_run_id', f.flow_run_id.any_, 'uuid'));
    if (f.task_run_id) {
      const c: string[] = [];
      if (f.task_run_id.any_) c.push(anyOf('l.task_run_id', f.task_run_id.any_, 'uuid'));
      if (f.task_run_id.is_null_ !== undefined) c.push(f.task_run_id.is_null_ ? 'l.task_run_id IS NULL' : 'l.task_run_id IS NOT NULL');
      both(c);
    }
    if (f.worker_id) {
      const c: string[] = [];
      if (f.worker_id.any_) c.push(anyOf('l.worker_id', f.worker_id.any_, 'uuid'));
      if (f.worker_id.not_any_?.length) c.push(`(l.worker_id IS NULL OR NOT ${anyOf('l.worker_id', f.worker_id.not_any_, 'uuid')})`);
      if (f.worker_id.is_null_ !== undefined) c.push(f.worker_id.is_null_ ? 'l.worker_id IS NULL' : 'l.worker_id IS NOT NULL');
      both(c);
    }
    if (f.loggers?.any_) conds.push(anyOf('l.name', f.loggers.any_, 'text'));
    if (f.text) {
      const q = parseTextQuery(f.text.query);
      if (!isBlank(q)) conds.push(textSearchSql(q, TEXT, ws, p));
    }
    return conds.map((c) => `(${c})`).join(f.operator === 'or_' ? ' OR ' : ' AND ');
  }

  /**
   * Indexes the next `maxRows` logs after the watermark, never past `committedUpto` (a position
   * below which every row is committed), so a row that commits late with a low seq is never
   * skipped. Several instances may run it: the watermark row lock serialises them.
   */
  async indexText(maxRows: number): Promise<number> {
    return this.db.tx(async (c) => {
      const wm = await this.db.one<{ value: string }>(
        `SELECT value FROM meta WHERE key = '${TEXT.watermarkKey}' FOR UPDATE SKIP LOCKED`,
        [],
        c,
      );
      if (!wm) return 0; // another indexer holds it
      const from = Number(wm.value);
      const safe = await committedUpto(this.db, 'logs', c);
      if (safe <= from) return 0;
      const last = await this.db.one<{ upto: number | null; n: number }>(
        'SELECT max(seq) AS upto, count(*)::int AS n FROM (SELECT seq FROM logs WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3) s',
        [from, safe, maxRows],
        c,
      );
      const n = last?.n ?? 0;
      // Fewer rows than asked for: everything up to `safe` is indexed (the gaps are rolled-back
      // positions that will never appear), so the watermark moves to `safe`.
      const upto = n < maxRows ? safe : last!.upto!;
      if (n > 0) {
        await c.query(
          `INSERT INTO logs_text (ws, "timestamp", seq, text)
           SELECT ws, "timestamp", seq, lower(message || ' ' || name) FROM logs WHERE seq > $1 AND seq <= $2`,
          [from, upto],
        );
      }
      await c.query(`UPDATE meta SET value = $1 WHERE key = '${TEXT.watermarkKey}'`, [String(upto)]);
      return n;
    });
  }

  async textIndexLag(): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      `SELECT count(*) AS n FROM logs WHERE seq > (SELECT value::bigint FROM meta WHERE key = '${TEXT.watermarkKey}')`,
    );
    return row!.n;
  }
}
