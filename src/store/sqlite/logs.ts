/** SQLite: log storage, filtering and the text indexer. */
import type { LogFilter, LogQuery, LogRow, NewLog } from '../../domain/logs.ts';
import type { ObservedLogger, ObservedLoggerQuery } from '../../domain/observed-loggers.ts';
import { isBlank, parseTextQuery, type TextQuery } from '../../domain/text-query.ts';
import type { LevelHistogram, LogStore, RunLogStats } from '../contract.ts';
import { logRow } from '../shared/log-rows.ts';
import type { Db } from './db.ts';
import { addLogStats } from './log-stats.ts';
import { recordOtlpLogs, settleWaiting } from './otel-log-links.ts';
import type { SqliteTenancy } from './tenancy.ts';
import { HAYSTACK, type LogTextIndex } from './text-index.ts';
import { plannable, searchOrdered, type TextPlanLimits } from './text-plan.ts';
import { textSearchSql } from './text-search.ts';

const COLUMNS = 'seq, id, created, name, level, message, timestamp, flow_run_id, task_run_id, worker_id';
const INSERT =
  'INSERT INTO logs (ws, id, created, timestamp, level, name, message, flow_run_id, task_run_id, worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_AT =
  'INSERT INTO logs (seq, ws, id, created, timestamp, level, name, message, flow_run_id, task_run_id, worker_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/**
 * `seq` is the rowid, which SQLite would hand out again after the newest rows are deleted. A
 * reused `seq` could sit at or below the text-index watermark (never indexed, never scanned) or
 * behind a live subscriber's position, so a deletion that removes the top rows records the highest
 * `seq` ever used here, and the next append continues above it.
 */
const SEQ_FLOOR_KEY = 'logs_seq_floor';

type Param = string | number | null;
const FTS_TABLE = 'txt.logs_text';

export class SqliteLogs implements LogStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly text: LogTextIndex;
  /** Filters run on the text index's search connection, which sees the index too. */
  private readonly reads: Db;
  private readonly textPlan: TextPlanLimits | undefined;
  readonly textIndexOffThread: boolean;

  /** `textPlan` overrides the text-search planner's thresholds (tests use tiny ones). */
  constructor(db: Db, tenancy: SqliteTenancy, text: LogTextIndex, opts: { textPlan?: TextPlanLimits } = {}) {
    this.db = db;
    this.tenancy = tenancy;
    this.text = text;
    this.reads = text.searchDb;
    this.textPlan = opts.textPlan;
    this.textIndexOffThread = text.offThread;
  }

  async append(batch: NewLog[]): Promise<LogRow[]> {
    if (batch.length === 0) return [];
    return this.db.tx(() => {
      const logs = settleWaiting(this.db, batch, (l) => this.key(l.workspaceId));
      const insert = this.db.stmt(INSERT);
      const out: LogRow[] = new Array(logs.length);
      const keys: number[] = new Array(logs.length);
      let at = this.seqAfterDeletions();
      for (let i = 0; i < logs.length; i++) {
        const l = logs[i];
        const ws = this.key(l.workspaceId);
        keys[i] = ws;
        const values = [
          ws,
          l.id,
          l.created,
          l.timestamp,
          l.level,
          l.name,
          l.message,
          l.flow_run_id,
          l.task_run_id,
          l.worker_id,
        ] as const;
        const r = at ? this.db.stmt(INSERT_AT).run(at, ...values) : insert.run(...values);
        at = 0;
        out[i] = logRow(Number(r.lastInsertRowid), l);
      }
      addLogStats(this.db, out, keys);
      recordOtlpLogs(this.db, logs, out, keys);
      return out;
    });
  }

  private key(workspaceId: string): number {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return ws;
  }

  /** The `seq` the next row must take when deletions removed the newest rows, else 0. */
  private seqAfterDeletions(): number {
    const floor = this.db.stmt('SELECT value FROM meta WHERE key = ?').get(SEQ_FLOOR_KEY) as
      | { value: string }
      | undefined;
    if (!floor) return 0;
    const top = (this.db.stmt('SELECT max(seq) AS m FROM logs').get() as { m: number | null }).m ?? 0;
    return top < Number(floor.value) ? Number(floor.value) + 1 : 0;
  }

  async runStats(workspaceId: string, flowRunId: string): Promise<RunLogStats | undefined> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const row = this.db
      .stmt('SELECT count, max_seq, warn_count, error_count FROM log_run_stats WHERE ws = ? AND flow_run_id = ?')
      .get(ws, flowRunId) as { count: number; max_seq: number; warn_count: number; error_count: number } | undefined;
    return row && { count: row.count, maxSeq: row.max_seq, warnings: row.warn_count, errors: row.error_count };
  }

  async runStatsMany(workspaceId: string, flowRunIds: string[]): Promise<Map<string, RunLogStats>> {
    const out = new Map<string, RunLogStats>();
    for (const id of new Set(flowRunIds)) {
      // One indexed point read each, in-process: no round trips to save.
      const s = await this.runStats(workspaceId, id);
      if (s) out.set(id, s);
    }
    return out;
  }

  async observedLoggers(
    workspaceId: string,
    query: ObservedLoggerQuery & { flowRunIds?: string[] },
  ): Promise<ObservedLogger[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || query.flowRunIds?.length === 0) return [];
    const params: Param[] = [ws];
    let where = 'ws = ?';
    if (query.flowRunIds) {
      where += ` AND flow_run_id IN (${query.flowRunIds.map(() => '?').join(', ')})`;
      params.push(...query.flowRunIds);
    }
    if (query.prefix) {
      // substr counts characters (code points), as does the spread below.
      where += ' AND name >= ? AND substr(name, 1, ?) = ?';
      params.push(query.prefix, [...query.prefix].length, query.prefix);
    }
    const order = query.orderBy === 'NAME_ASC' ? 'name' : 'last_seen DESC, name';
    params.push(query.limit);
    const sql = query.flowRunIds
      ? `SELECT name, sum(count) AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM log_run_loggers
         WHERE ${where} GROUP BY name ORDER BY ${order} LIMIT ?`
      : `SELECT name, count, first_seen, last_seen FROM log_loggers WHERE ${where} ORDER BY ${order} LIMIT ?`;
    const rows = this.db.stmt(sql).all(...params) as {
      name: string;
      count: number;
      first_seen: number;
      last_seen: number;
    }[];
    return rows.map((r) => ({ name: r.name, count: r.count, firstSeen: r.first_seen, lastSeen: r.last_seen }));
  }

  async lastSeq(): Promise<number> {
    // One writer at a time (IMMEDIATE transactions): the highest visible seq is committed.
    const row = this.db.stmt('SELECT coalesce(max(seq), 0) AS seq FROM logs').get() as { seq: number };
    return row.seq;
  }

  async tail(workspaceId: string, range: { after: number; upTo: number; limit: number }): Promise<LogRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || range.limit <= 0) return [];
    // A rowid range. Without NOT INDEXED the planner takes an index on `ws` and reads (and sorts)
    // every log of the workspace for each batch of new ones: live tails slowed ingest as the
    // workspace grew.
    return this.db
      .stmt(`SELECT ${COLUMNS} FROM logs NOT INDEXED WHERE seq > ? AND seq <= ? AND ws = ? ORDER BY seq LIMIT ?`)
      .all(range.after, range.upTo, ws, range.limit) as unknown as LogRow[];
  }

  async filter(workspaceId: string, query: LogQuery): Promise<LogRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    // A text search ANDed with the rest is planned separately (see text-plan.ts).
    const text = this.plannedText(query.filter);
    const params: Param[] = [ws];
    let where = 'ws = ?';
    const cond = this.filterSql(text ? { ...query.filter, text: undefined } : query.filter, params);
    if (cond) where += ` AND (${cond})`;
    const desc = query.sort === 'TIMESTAMP_DESC';
    if (query.after) {
      where += ` AND (timestamp, seq) ${desc ? '<' : '>'} (?, ?)`;
      params.push(query.after.timestamp, query.after.seq);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const orderBy = `timestamp ${dir}, seq ${dir}`;
    if (text) {
      return searchOrdered<LogRow>(
        {
          db: this.reads,
          table: 'logs',
          key: 'seq',
          columns: COLUMNS,
          where,
          params,
          orderBy,
          limit: query.limit,
          offset: query.offset,
          haystack: HAYSTACK,
          ftsTable: FTS_TABLE,
          watermark: this.text.indexedUpto(),
          limits: this.textPlan,
        },
        text,
      );
    }
    params.push(query.limit, query.offset);
    const sql = `SELECT ${COLUMNS} FROM logs WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`;
    return this.reads.stmt(sql).all(...params) as unknown as LogRow[];
  }

  /** The filter's text query when it is ANDed with the other conditions and the index can serve it. */
  private plannedText(f: LogFilter): TextQuery | undefined {
    if (!f.text || f.operator === 'or_') return undefined;
    const q = parseTextQuery(f.text.query);
    return plannable(q) ? q : undefined;
  }

  async count(workspaceId: string, filter: Omit<LogFilter, 'text'>): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const params: Param[] = [ws];
    const cond = this.filterSql(filter, params);
    const sql = `SELECT count(*) AS n FROM logs WHERE ws = ?${cond ? ` AND (${cond})` : ''}`;
    return Number((this.reads.stmt(sql).get(...params) as { n: number }).n);
  }

  async levelHistogram(workspaceId: string, filter: Omit<LogFilter, 'text'>, buckets: number): Promise<LevelHistogram> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return { interval: 1, rows: [] };
    const params: Param[] = [ws];
    const cond = this.filterSql(filter, params);
    const where = `ws = ?${cond ? ` AND (${cond})` : ''}`;
    const span = this.reads
      .stmt(`SELECT min(timestamp) AS lo, max(timestamp) AS hi FROM logs WHERE ${where}`)
      .get(...params) as { lo: number | null; hi: number | null } | undefined;
    if (span?.lo == null || span.hi == null) return { interval: 1, rows: [] };
    const interval = Math.max(1, Math.ceil((span.hi - span.lo + 1) / buckets));
    const sql = `SELECT CAST((timestamp - ?) / ? AS INTEGER) AS bucket, level, count(*) AS n FROM logs WHERE ${where} GROUP BY 1, 2`;
    const rows = this.reads.stmt(sql).all(span.lo, interval, ...params) as {
      bucket: number;
      level: number;
      n: number;
    }[];
    return {
      start: span.lo,
      interval,
      rows: rows.map((r) => ({ bucket: Number(r.bucket), level: r.level, count: Number(r.n) })),
    };
  }

  async getInRun(workspaceId: string, flowRunId: string, id: string): Promise<LogRow | undefined> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const sql = `SELECT ${COLUMNS} FROM logs WHERE ws = ? AND flow_run_id = ? AND id = ?`;
    return this.reads.stmt(sql).get(ws, flowRunId, id) as unknown as LogRow | undefined;
  }

  private filterSql(f: LogFilter, params: Param[]): string {
    const conds: string[] = [];
    const inList = (col: string, values: string[]) => {
      params.push(...values);
      return values.length ? `${col} IN (${values.map(() => '?').join(', ')})` : '0';
    };
    if (f.level) {
      // With a run id ANDed in, that run's index is the one to use; without statistics SQLite
      // would pick the level index and sort every matching log (`+` keeps it off that index).
      const byRun = f.operator !== 'or_' && Boolean(f.flow_run_id?.any_ || f.task_run_id?.any_);
      const level = byRun ? '+level' : 'level';
      const c: string[] = [];
      if (f.level.ge_ !== undefined) {
        c.push(`${level} >= ?`);
        params.push(f.level.ge_);
      }
      if (f.level.le_ !== undefined) {
        c.push(`${level} <= ?`);
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
      if (f.task_run_id.is_null_ !== undefined)
        c.push(f.task_run_id.is_null_ ? 'task_run_id IS NULL' : 'task_run_id IS NOT NULL');
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.worker_id) {
      const c: string[] = [];
      if (f.worker_id.any_) c.push(inList('worker_id', f.worker_id.any_));
      if (f.worker_id.not_any_?.length)
        c.push(`(worker_id IS NULL OR NOT ${inList('worker_id', f.worker_id.not_any_)})`);
      if (f.worker_id.is_null_ !== undefined)
        c.push(f.worker_id.is_null_ ? 'worker_id IS NULL' : 'worker_id IS NOT NULL');
      if (c.length) conds.push(c.join(' AND '));
    }
    if (f.loggers?.any_) conds.push(inList('name', f.loggers.any_));
    if (f.text) {
      const q = parseTextQuery(f.text.query);
      if (!isBlank(q)) {
        const t = textSearchSql(q, HAYSTACK, 'seq', FTS_TABLE, this.text.indexedUpto());
        params.push(...t.params);
        conds.push(t.sql);
      }
    }
    return conds.map((c) => `(${c})`).join(f.operator === 'or_' ? ' OR ' : ' AND ');
  }

  indexText(maxRows: number): Promise<number> {
    return this.text.index(maxRows);
  }

  async textIndexLag(): Promise<number> {
    const row = this.reads.stmt('SELECT count(*) AS n FROM logs WHERE seq > ?').get(this.text.indexedUpto()) as {
      n: number;
    };
    return row.n;
  }

  async deleteForRuns(workspaceId: string, runs: { flowRunIds: string[]; taskRunIds: string[] }): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || (runs.flowRunIds.length === 0 && runs.taskRunIds.length === 0)) return 0;
    // Each id list is one JSON parameter: no run has too many task runs for SQLite's variable limit.
    const where =
      'ws = ? AND (flow_run_id IN (SELECT value FROM json_each(?)) OR task_run_id IN (SELECT value FROM json_each(?)))';
    return this.db.tx(() =>
      this.remove(ws, where, [ws, JSON.stringify(runs.flowRunIds), JSON.stringify(runs.taskRunIds)]),
    );
  }

  /** Retention: the workspace's oldest logs with `timestamp < before`, at most `limit`, in one transaction. */
  deleteBefore(workspaceId: string, before: number, limit: number): number {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || limit <= 0) return 0;
    return this.db.tx(() => {
      const seqs = this.db
        .stmt('SELECT seq FROM logs WHERE ws = ? AND timestamp < ? ORDER BY timestamp, seq LIMIT ?')
        .all(ws, before, limit)
        .map((r) => r.seq);
      if (seqs.length === 0) return 0;
      return this.remove(ws, 'seq IN (SELECT value FROM json_each(?))', [JSON.stringify(seqs)]);
    });
  }

  countBefore(workspaceId: string, before: number): number {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    return Number(
      (this.db.stmt('SELECT count(*) AS n FROM logs WHERE ws = ? AND timestamp < ?').get(ws, before) as { n: number })
        .n,
    );
  }

  /**
   * Deletes the workspace's logs `where` selects (inside the caller's transaction) and corrects the
   * statistics kept at ingest: counts drop (entries reaching zero disappear), and the first/last
   * seen times of surviving loggers and the highest `seq` of surviving runs are read again.
   */
  private remove(ws: number, where: string, params: Param[]): number {
    const groups = this.db
      .stmt(
        `SELECT flow_run_id, name, count(*) AS n, sum(level >= 30 AND level < 40) AS w, sum(level >= 40) AS e
         FROM logs WHERE ${where} GROUP BY flow_run_id, name`,
      )
      .all(...params) as { flow_run_id: string | null; name: string; n: number; w: number; e: number }[];
    // The text index (its own file, written by its worker, see text-index.ts) drops their entries
    // later, from this queue; meanwhile searches confirm every candidate against a row of `logs`.
    this.db.stmt('DELETE FROM logs_text_gone WHERE id <= ?').run(this.text.goneUpto());
    this.db.stmt(`INSERT INTO logs_text_gone (seq) SELECT seq FROM logs WHERE ${where}`).run(...params);
    this.db
      .stmt(`DELETE FROM otel_log_pending WHERE ws = ? AND seq IN (SELECT seq FROM logs WHERE ${where})`)
      .run(ws, ...params);
    const maxSeq = () => (this.db.stmt('SELECT max(seq) AS m FROM logs').get() as { m: number | null }).m ?? 0;
    const top = maxSeq();
    const deleted = Number(this.db.stmt(`DELETE FROM logs WHERE ${where}`).run(...params).changes);
    if (maxSeq() < top) {
      this.db
        .stmt(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))',
        )
        .run(SEQ_FLOOR_KEY, String(top));
    }
    const perRun = new Map<string, { n: number; w: number; e: number }>();
    const loggers = new Set<string>();
    for (const g of groups) {
      loggers.add(g.name);
      this.db.stmt('UPDATE log_loggers SET count = count - ? WHERE ws = ? AND name = ?').run(g.n, ws, g.name);
      if (g.flow_run_id === null) continue;
      this.db
        .stmt('UPDATE log_run_loggers SET count = count - ? WHERE ws = ? AND flow_run_id = ? AND name = ?')
        .run(g.n, ws, g.flow_run_id, g.name);
      this.refreshRunLogger(ws, g.flow_run_id, g.name);
      const sum = perRun.get(g.flow_run_id) ?? { n: 0, w: 0, e: 0 };
      perRun.set(g.flow_run_id, { n: sum.n + g.n, w: sum.w + g.w, e: sum.e + g.e });
    }
    for (const name of loggers) this.refreshLogger(ws, name);
    for (const [flowRunId, { n, w, e }] of perRun) {
      this.db
        .stmt(
          'UPDATE log_run_stats SET count = count - ?, warn_count = warn_count - ?, error_count = error_count - ? WHERE ws = ? AND flow_run_id = ?',
        )
        .run(n, w, e, ws, flowRunId);
      this.db.stmt('DELETE FROM log_run_stats WHERE ws = ? AND flow_run_id = ? AND count <= 0').run(ws, flowRunId);
      const top = this.db
        .stmt('SELECT max(seq) AS m FROM logs WHERE ws = ? AND flow_run_id = ?')
        .get(ws, flowRunId) as { m: number | null };
      if (top.m !== null)
        this.db.stmt('UPDATE log_run_stats SET max_seq = ? WHERE ws = ? AND flow_run_id = ?').run(top.m, ws, flowRunId);
    }
    return deleted;
  }

  /**
   * A logger's workspace entry after deletions: gone without logs, else its first and last seen
   * read again. No index has the logger name first (it would cost every append): the time index is
   * walked from each end to the logger's nearest log, which retention's oldest-first deletions keep
   * short for any logger that logs often.
   */
  private refreshLogger(ws: number, name: string): void {
    this.db.stmt('DELETE FROM log_loggers WHERE ws = ? AND name = ? AND count <= 0').run(ws, name);
    const edge = (dir: string) =>
      (
        this.db
          .stmt(
            `SELECT timestamp FROM logs INDEXED BY logs_ws_timestamp WHERE ws = ? AND name = ? ORDER BY timestamp ${dir} LIMIT 1`,
          )
          .get(ws, name) as { timestamp: number } | undefined
      )?.timestamp;
    const first = edge('ASC');
    if (first === undefined) {
      this.db.stmt('DELETE FROM log_loggers WHERE ws = ? AND name = ?').run(ws, name);
      return;
    }
    this.db
      .stmt('UPDATE log_loggers SET first_seen = ?, last_seen = ? WHERE ws = ? AND name = ?')
      .run(first, edge('DESC') ?? first, ws, name);
  }

  private refreshRunLogger(ws: number, flowRunId: string, name: string): void {
    const span = this.db
      .stmt('SELECT min(timestamp) AS lo, max(timestamp) AS hi FROM logs WHERE ws = ? AND flow_run_id = ? AND name = ?')
      .get(ws, flowRunId, name) as { lo: number | null; hi: number | null };
    if (span.lo === null || span.hi === null)
      this.db
        .stmt('DELETE FROM log_run_loggers WHERE ws = ? AND flow_run_id = ? AND name = ?')
        .run(ws, flowRunId, name);
    else
      this.db
        .stmt('UPDATE log_run_loggers SET first_seen = ?, last_seen = ? WHERE ws = ? AND flow_run_id = ? AND name = ?')
        .run(span.lo, span.hi, ws, flowRunId, name);
  }
}
