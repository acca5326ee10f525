/** PostgreSQL: log storage (bulk insert through unnest), filtering and the text indexer. */
import type pg from 'pg';
import type { LogFilter, LogQuery, LogRow, NewLog } from '../../domain/logs.ts';
import type { ObservedLogger, ObservedLoggerQuery } from '../../domain/observed-loggers.ts';
import { isBlank, parseTextQuery, type TextQuery } from '../../domain/text-query.ts';
import { MICROS_PER_DAY } from '../../domain/time.ts';
import type { LevelHistogram, LogStore, RunLogStats } from '../contract.ts';
import { logRow } from '../shared/log-rows.ts';
import { LOCK, type PgDb } from './db.ts';
import { param } from './dialect.ts';
import * as stats from './log-stats.ts';
import { recordOtlpLogs, settleWaiting } from './otel-log-links.ts';
import { DayPartitions } from './partitions.ts';
import { allocateSeqs, committedUpto } from './streams.ts';
import type { PgTenancy } from './tenancy.ts';
import { indexable, indexMatchSql, nameMatchSql, scanSql } from './text-search.ts';

const COLUMN_NAMES = [
  'seq',
  'id',
  'created',
  'name',
  'level',
  'message',
  '"timestamp"',
  'flow_run_id',
  'task_run_id',
  'worker_id',
];
const COLUMNS = COLUMN_NAMES.join(', ');
const QUALIFIED = COLUMN_NAMES.map((c) => `l.${c}`).join(', ');
/** The text index's watermark; a missing row (an unlogged table after a crash) means 0. */
const WATERMARK = "coalesce((SELECT upto FROM text_index_state WHERE name = 'logs'), 0)";
/** Rows a text search checks in order before it turns to the trigram index: the first window, the largest (see `filter`). */
const SCAN_WINDOWS = [2_000, 50_000];
/** The searched text of a log (alias `a`), and the same text of an indexed one (ADR 49). */
const hay = (a: string) => `lower(${a}.message || ' ' || ${a}.name)`;
const HAY = hay('l');
// Rows indexed before migration 19 hold no name: their text is the whole searched text.
const INDEXED_HAY = 'coalesce(x.text || lower(x.name), x.text)';

// One statement for the whole batch: parallel arrays, one per column.
const INSERT = `INSERT INTO logs (ws, seq, id, created, "timestamp", level, name, message, flow_run_id, task_run_id, worker_id)
  SELECT * FROM unnest($1::int[], $2::int8[], $3::uuid[], $4::int8[], $5::int8[], $6::int[], $7::text[], $8::text[], $9::uuid[], $10::uuid[], $11::uuid[])`;

export class PgLogs implements LogStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  readonly partitions: DayPartitions;
  private readonly scanWindows: number[];
  /** Indexing runs in PostgreSQL's processes, not on this thread. */
  readonly textIndexOffThread = true;

  /** `scanWindows`: sizes of the in-order scans a text search tries before the index (tests shrink them). */
  constructor(db: PgDb, tenancy: PgTenancy, opts: { scanWindows?: number[] } = {}) {
    this.db = db;
    this.tenancy = tenancy;
    this.scanWindows = opts.scanWindows ?? SCAN_WINDOWS;
    this.partitions = new DayPartitions(db, [{ name: 'logs' }, { name: 'logs_text', unlogged: true }]);
  }

  async append(batch: NewLog[]): Promise<LogRow[]> {
    if (batch.length === 0) return [];
    const n = batch.length;
    const wsKeys = new Map<string, number>();
    for (const l of batch) {
      if (wsKeys.has(l.workspaceId)) continue;
      const k = await this.tenancy.key(l.workspaceId);
      if (k === undefined) throw new Error(`unknown workspace ${l.workspaceId}`);
      wsKeys.set(l.workspaceId, k);
    }
    await this.partitions.ensureFor(batch.map((l) => l.timestamp));
    const cols: unknown[][] = Array.from({ length: 11 }, () => new Array(n));
    return this.db.tx(async (c) => {
      const logs = await settleWaiting(c, batch, (l) => wsKeys.get(l.workspaceId)!);
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
        out[i] = logRow(seqs[i], l);
      }
      await c.query(INSERT, cols);
      await stats.updateLogStats(c, out, cols[0] as number[]);
      await recordOtlpLogs(c, logs, out, cols[0] as number[]);
      return out;
    });
  }

  async runStats(workspaceId: string, flowRunId: string): Promise<RunLogStats | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : stats.runStats(this.db, ws, flowRunId);
  }

  async runStatsMany(workspaceId: string, flowRunIds: string[]): Promise<Map<string, RunLogStats>> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? new Map() : stats.runStatsMany(this.db, ws, flowRunIds);
  }

  async observedLoggers(
    workspaceId: string,
    query: ObservedLoggerQuery & { flowRunIds?: string[] },
  ): Promise<ObservedLogger[]> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? [] : stats.observedLoggers(this.db, ws, query);
  }

  lastSeq(): Promise<number> {
    return stats.lastSeq(this.db);
  }

  async tail(workspaceId: string, range: { after: number; upTo: number; limit: number }): Promise<LogRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined || range.limit <= 0 ? [] : stats.tail(this.db, ws, range);
  }

  /**
   * Without a text filter: one query on the index of the filter's columns. With one the index can
   * answer (and no `or_` mixing it with other conditions):
   * 1. scan a window of the first rows the other filters leave, in the requested order, checking
   *    the text exactly. The window is a prefix of the ordered rows, so a full page from it is
   *    exact; so is any answer when the window held every such row (a run's logs, a short time
   *    range, a small workspace). A term whose density promises a full page from a larger window
   *    (up to the largest) gets one.
   * 2. otherwise (a rare term in many rows), take the candidates from the trigram index for rows
   *    up to the index watermark (with the logs of loggers whose names the terms may reach into:
   *    the index holds messages only), plus the unindexed tail past it, and order those. Without
   *    other filters than time, the page is cut from the index table before rows are fetched.
   */
  async filter(workspaceId: string, query: LogQuery): Promise<LogRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const f = query.filter;
    const parsed = f.text ? parseTextQuery(f.text.query) : undefined;
    const text = parsed && !isBlank(parsed) ? parsed : undefined;
    const onlyText = !this.conditions({ ...f, text: undefined }, []).length;
    if (!text || !indexable(text) || (f.operator === 'or_' && !onlyText)) return this.select(ws, query, text);
    const needed = query.offset + query.limit;
    // Start with the first window; when some rows matched, the density of matches says how large a
    // window would fill the page (with a margin): scan that if it is at most the largest window.
    const [first, largest] = this.scanWindows;
    for (let window = first, tries = 0; window !== undefined && needed <= window && tries < 3; tries++) {
      const { hits, full } = await this.scanWindow(ws, query, text, window);
      if (hits.length >= needed || !full) return hits.slice(query.offset, needed);
      const next = hits.length ? Math.ceil((window * needed * 1.25) / hits.length) : Number.POSITIVE_INFINITY;
      if (largest === undefined || next > largest) break;
      window = next;
    }
    const wm = await this.db.one<{ upto: number }>(`SELECT ${WATERMARK} AS upto`);
    const onlyTime = !this.conditions({ ...f, text: undefined, timestamp: undefined }, []).length;
    // After the watermark: every indexed log's logger is in `log_loggers` by now.
    const p: unknown[] = [ws];
    const names = await this.db.query<{ name: string }>(
      `SELECT DISTINCT name FROM log_loggers WHERE ws = $1 AND (${nameMatchSql(text, 'name', p)})`,
      p,
    );
    return this.select(ws, query, text, { indexedUpto: wm!.upto, onlyTime, names: names.map((r) => r.name) });
  }

  private select(
    ws: number,
    query: LogQuery,
    text: TextQuery | undefined,
    how: { indexedUpto?: number; onlyTime?: boolean; names?: string[] } = {},
  ): Promise<LogRow[]> {
    const p: unknown[] = [];
    const wsParam = param(p, ws);
    const desc = query.sort === 'TIMESTAMP_DESC';
    const dir = desc ? 'DESC' : 'ASC';
    const order = (a = '') => `ORDER BY ${a}"timestamp" ${dir}, ${a}seq ${dir}`;
    const base = [`l.ws = ${wsParam}`];
    const cursor = this.cursorSql(query, 'l', p);
    if (cursor) base.push(cursor);
    const page = `LIMIT ${param(p, query.limit)} OFFSET ${param(p, query.offset)}`;
    const conds = this.conditions(query.filter, p);
    if (how.indexedUpto === undefined) {
      // Plain: the text (if any) is one more condition, checked row by row.
      if (text) conds.push(scanSql(text, HAY, p));
      if (conds.length)
        base.push(`(${conds.map((c) => `(${c})`).join(query.filter.operator === 'or_' ? ' OR ' : ' AND ')})`);
      return this.db.query<LogRow>(`SELECT ${COLUMNS} FROM logs l WHERE ${base.join(' AND ')} ${order()} ${page}`, p);
    }
    // Index-assisted searches run with and_ semantics only (see filter()).
    base.push(...conds.map((c) => `(${c})`));
    const first = param(p, query.offset + query.limit);
    const upto = param(p, how.indexedUpto);
    // Indexed rows of the workspace in the page's range, on alias `a` (logs_text or logs).
    const ts = query.filter.timestamp;
    const scope = (a: string) => {
      const c = [`${a}.ws = ${wsParam}`, `${a}.seq <= ${upto}`];
      const aCursor = this.cursorSql(query, a, p);
      if (aCursor) c.push(aCursor);
      if (ts?.after_ !== undefined) c.push(`${a}."timestamp" >= ${param(p, ts.after_)}`);
      if (ts?.before_ !== undefined) c.push(`${a}."timestamp" <= ${param(p, ts.before_)}`);
      return c;
    };
    const cut = (a: string) => (how.onlyTime ? ` ${order(a)} LIMIT ${first}` : '');
    const x = [...scope('x'), indexMatchSql(text!, 'x.text', p)];
    // The index table holds the searched text (message and name): the exact check can run on it.
    if (how.onlyTime) x.push(scanSql(text!, INDEXED_HAY, p));
    let candidates = `(SELECT x."timestamp", x.seq FROM logs_text x WHERE ${x.join(' AND ')}${cut('x.')})`;
    // Terms that may match in a logger's name: that logger's logs are candidates too.
    if (how.names?.length) {
      const n = [...scope('n'), `n.name = ANY(${param(p, how.names)}::text[])`, scanSql(text!, hay('n'), p)];
      candidates = `(${candidates} UNION (SELECT n."timestamp", n.seq FROM logs n WHERE ${n.join(' AND ')}${cut('n.')}))`;
    }
    const textCond = scanSql(text!, HAY, p);
    const sql = `SELECT ${COLUMNS} FROM (
        (SELECT ${QUALIFIED} FROM logs l JOIN ${candidates} x ON l."timestamp" = x."timestamp" AND l.seq = x.seq
         WHERE ${base.join(' AND ')} AND ${textCond} ${order('l.')} LIMIT ${first})
        UNION ALL
        (SELECT ${COLUMNS} FROM logs l WHERE ${base.join(' AND ')} AND l.seq > ${upto} AND ${textCond} ${order()} LIMIT ${first})
      ) u ${order()} ${page}`;
    return this.db.query<LogRow>(sql, p);
  }

  /**
   * Step 1 of a text search: the first `window` rows the other filters leave, in order, checked
   * for the text as they stream by; stops as soon as the page is complete. Returns the matches
   * (at most `offset + limit`) and whether the window was full (else it held every such row).
   */
  private async scanWindow(
    ws: number,
    query: LogQuery,
    text: TextQuery,
    window: number,
  ): Promise<{ hits: LogRow[]; full: boolean }> {
    const p: unknown[] = [];
    const base = [`l.ws = ${param(p, ws)}`];
    const cursor = this.cursorSql(query, 'l', p);
    if (cursor) base.push(cursor);
    base.push(...this.conditions(query.filter, p).map((c) => `(${c})`));
    const dir = query.sort === 'TIMESTAMP_DESC' ? 'DESC' : 'ASC';
    const order = `ORDER BY "timestamp" ${dir}, seq ${dir}`;
    const w = param(p, window);
    // The window's last row comes back too (whether it matched or not): it says the window was full.
    const sql = `SELECT ${COLUMNS}, hit, rn FROM (
        SELECT ${COLUMNS}, ${scanSql(text, HAY, p)} AS hit, row_number() OVER (${order}) AS rn
          FROM logs l WHERE ${base.join(' AND ')} ${order} LIMIT ${w}
      ) w WHERE hit OR rn = ${w} ${order} LIMIT ${param(p, query.offset + query.limit + 1)}`;
    const out = await this.db.query<LogRow & { hit: boolean; rn: number }>(sql, p);
    const hits: LogRow[] = [];
    let full = false;
    for (const { hit, rn, ...row } of out) {
      if (rn === window) full = true;
      if (hit) hits.push(row);
    }
    return { hits, full };
  }

  /** Keyset position: rows strictly after `query.after` in the requested order. */
  private cursorSql(query: LogQuery, alias: string, p: unknown[]): string | undefined {
    if (!query.after) return undefined;
    const op = query.sort === 'TIMESTAMP_DESC' ? '<' : '>';
    return `(${alias}."timestamp", ${alias}.seq) ${op} (${param(p, query.after.timestamp)}, ${param(p, query.after.seq)})`;
  }

  /** The conditions of every filter field but `text`, on alias `l`. */
  async count(workspaceId: string, filter: Omit<LogFilter, 'text'>): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const p: unknown[] = [ws];
    const conds = this.conditions(filter, p);
    const op = filter.operator === 'or_' ? ' OR ' : ' AND ';
    const where = conds.length ? ` AND (${conds.map((c) => `(${c})`).join(op)})` : '';
    const row = await this.db.one<{ n: string }>(`SELECT count(*) AS n FROM logs l WHERE l.ws = $1${where}`, p);
    return Number(row?.n ?? 0);
  }

  async levelHistogram(workspaceId: string, filter: Omit<LogFilter, 'text'>, buckets: number): Promise<LevelHistogram> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { interval: 1, rows: [] };
    const p: unknown[] = [ws];
    const conds = this.conditions(filter, p);
    const op = filter.operator === 'or_' ? ' OR ' : ' AND ';
    const where = `l.ws = $1${conds.length ? ` AND (${conds.map((c) => `(${c})`).join(op)})` : ''}`;
    const span = await this.db.one<{ lo: string | null; hi: string | null }>(
      `SELECT min(l."timestamp") AS lo, max(l."timestamp") AS hi FROM logs l WHERE ${where}`,
      p,
    );
    if (span?.lo == null || span.hi == null) return { interval: 1, rows: [] };
    const lo = Number(span.lo);
    const interval = Math.max(1, Math.ceil((Number(span.hi) - lo + 1) / buckets));
    const rows = await this.db.query<{ bucket: string; level: number; n: string }>(
      `SELECT (l."timestamp" - $${p.length + 1}::bigint) / $${p.length + 2}::bigint AS bucket, l.level, count(*) AS n
        FROM logs l WHERE ${where} GROUP BY 1, 2`,
      [...p, lo, interval],
    );
    return {
      start: lo,
      interval,
      rows: rows.map((r) => ({ bucket: Number(r.bucket), level: r.level, count: Number(r.n) })),
    };
  }

  async getInRun(workspaceId: string, flowRunId: string, id: string): Promise<LogRow | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    return this.db.one<LogRow>(
      `SELECT ${COLUMNS} FROM logs l WHERE l.ws = $1 AND l.flow_run_id = $2::uuid AND l.id = $3::uuid`,
      [ws, flowRunId, id],
    );
  }

  private conditions(f: LogFilter, p: unknown[]): string[] {
    const conds: string[] = [];
    const both = (c: string[]) => {
      if (c.length) conds.push(c.join(' AND '));
    };
    // One value as `=`: the planner then reads each partition's index in order and merges them,
    // stopping at the page, instead of sorting every row of (say) a long run.
    const anyOf = (col: string, values: string[], type: string) =>
      values.length === 1
        ? `${col} = ${param(p, values[0])}::${type}`
        : values.length
          ? `${col} = ANY(${param(p, values)}::${type}[])`
          : 'false';
    if (f.level) {
      const c: string[] = [];
      if (f.level.ge_ !== undefined) c.push(`l.level >= ${param(p, f.level.ge_)}`);
      if (f.level.le_ !== undefined) c.push(`l.level <= ${param(p, f.level.le_)}`);
      both(c);
    }
    if (f.timestamp) {
      const c: string[] = [];
      if (f.timestamp.after_ !== undefined) c.push(`l."timestamp" >= ${param(p, f.timestamp.after_)}`);
      if (f.timestamp.before_ !== undefined) c.push(`l."timestamp" <= ${param(p, f.timestamp.before_)}`);
      both(c);
    }
    if (f.flow_run_id?.any_) conds.push(anyOf('l.flow_run_id', f.flow_run_id.any_, 'uuid'));
    if (f.task_run_id) {
      const c: string[] = [];
      if (f.task_run_id.any_) c.push(anyOf('l.task_run_id', f.task_run_id.any_, 'uuid'));
      if (f.task_run_id.is_null_ !== undefined)
        c.push(f.task_run_id.is_null_ ? 'l.task_run_id IS NULL' : 'l.task_run_id IS NOT NULL');
      both(c);
    }
    if (f.worker_id) {
      const c: string[] = [];
      if (f.worker_id.any_) c.push(anyOf('l.worker_id', f.worker_id.any_, 'uuid'));
      if (f.worker_id.not_any_?.length)
        c.push(`(l.worker_id IS NULL OR NOT ${anyOf('l.worker_id', f.worker_id.not_any_, 'uuid')})`);
      if (f.worker_id.is_null_ !== undefined)
        c.push(f.worker_id.is_null_ ? 'l.worker_id IS NULL' : 'l.worker_id IS NOT NULL');
      both(c);
    }
    if (f.loggers?.any_) conds.push(anyOf('l.name', f.loggers.any_, 'text'));
    return conds;
  }

  /**
   * Indexes the next `maxRows` logs after the watermark, never past `committedUpto` (a position
   * below which every row is committed), so a row that commits late with a low seq is never
   * skipped. Several instances may run it: the watermark row lock serialises them.
   */
  async indexText(maxRows: number): Promise<number> {
    return this.db.tx(async (c) => {
      // A day drop waits for this transaction here instead of at DETACH, where ingest would queue behind it.
      await c.query('SELECT pg_advisory_xact_lock_shared($1)', [LOCK.textIndex]);
      // The state row is missing in a new database and after a crash (unlogged): start from 0.
      await c.query("INSERT INTO text_index_state (name, upto) VALUES ('logs', 0) ON CONFLICT (name) DO NOTHING");
      const wm = await this.db.one<{ upto: number }>(
        "SELECT upto FROM text_index_state WHERE name = 'logs' FOR UPDATE SKIP LOCKED",
        [],
        c,
      );
      if (!wm) return 0; // another indexer holds it
      const from = wm.upto;
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
          `INSERT INTO logs_text (ws, "timestamp", seq, text, name)
           SELECT ws, "timestamp", seq, lower(message) || ' ', name FROM logs WHERE seq > $1 AND seq <= $2`,
          [from, upto],
        );
      }
      await c.query("UPDATE text_index_state SET upto = $1 WHERE name = 'logs'", [upto]);
      return n;
    });
  }

  async textIndexLag(): Promise<number> {
    const row = await this.db.one<{ n: number }>(`SELECT count(*) AS n FROM logs WHERE seq > ${WATERMARK}`);
    return row!.n;
  }

  async deleteForRuns(workspaceId: string, runs: { flowRunIds: string[]; taskRunIds: string[] }): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || (runs.flowRunIds.length === 0 && runs.taskRunIds.length === 0)) return 0;
    const match = '(l.flow_run_id = ANY($2::uuid[]) OR l.task_run_id = ANY($3::uuid[]))';
    return this.db.tx((c) => this.remove(c, ws, match, [ws, runs.flowRunIds, runs.taskRunIds]));
  }

  /** Retention: the workspace's oldest logs with `timestamp < before`, at most `limit`, in one transaction. */
  async deleteBefore(workspaceId: string, before: number, limit: number): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || limit <= 0) return 0;
    return this.db.tx(async (c) => {
      const keys = (
        await c.query(
          'SELECT "timestamp", seq FROM logs WHERE ws = $1 AND "timestamp" < $2 ORDER BY "timestamp", seq LIMIT $3',
          [ws, before, limit],
        )
      ).rows as { timestamp: number; seq: number }[];
      if (keys.length === 0) return 0;
      const match = '(l."timestamp", l.seq) IN (SELECT * FROM unnest($2::int8[], $3::int8[]))';
      const within = { lo: Number(keys[0].timestamp), hi: Number(keys[keys.length - 1].timestamp) };
      return this.remove(c, ws, match, [ws, keys.map((k) => k.timestamp), keys.map((k) => k.seq)], within);
    });
  }

  async countBefore(workspaceId: string, before: number): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const row = await this.db.one<{ n: number }>(
      'SELECT count(*)::int8 AS n FROM logs WHERE ws = $1 AND "timestamp" < $2',
      [ws, before],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes the workspace's logs `match` selects (over `logs l`; `$1` is the workspace key) inside
   * the caller's transaction, with their text index rows, and corrects the statistics kept at
   * ingest: counts drop by decrements (concurrent appends on other instances are never overwritten;
   * entries reaching zero disappear), and the first/last seen times of surviving loggers and the
   * highest `seq` of surviving runs are read again. `within`: the removed logs' time range, when
   * known — inlined (integers of ours) so that the planner reads only the partitions it spans;
   * keys in an `IN` list prune nothing, and every partition was planned and probed (~1 s for 50
   * logs over 30 days).
   */
  private async remove(
    c: pg.PoolClient,
    ws: number,
    match: string,
    params: unknown[],
    within?: { lo: number; hi: number },
  ): Promise<number> {
    const range = (alias: string) => (within ? ` AND ${alias}."timestamp" BETWEEN ${within.lo} AND ${within.hi}` : '');
    match += range('l');
    const groups = (
      await c.query(
        `SELECT l.flow_run_id::text AS flow_run_id, l.name, count(*) AS n,
           count(*) FILTER (WHERE l.level >= 30 AND l.level < 40) AS w, count(*) FILTER (WHERE l.level >= 40) AS e,
           min(l."timestamp") AS lo, max(l."timestamp") AS hi, max(l.seq) AS s
         FROM logs l WHERE l.ws = $1 AND ${match} GROUP BY 1, 2`,
        params,
      )
    ).rows as LogGroup[];
    await c.query(
      `DELETE FROM logs_text t USING logs l WHERE l.ws = $1 AND ${match} AND t.ws = l.ws AND t."timestamp" = l."timestamp" AND t.seq = l.seq${range('t')}`,
      params,
    );
    await c.query(
      `DELETE FROM otel_log_pending p USING logs l WHERE l.ws = $1 AND ${match} AND p.ws = l.ws AND p.seq = l.seq${range('p')}`,
      params,
    );
    const r = await c.query(`DELETE FROM logs l WHERE l.ws = $1 AND ${match}`, params);
    await this.correct(c, ws, groups);
    return r.rowCount ?? 0;
  }

  /**
   * Retention on whole days (ADR 43): empties every day partition (with its text index partition)
   * that ends at or before `before` — no row deletes — after taking the statistics of its rows off,
   * in one transaction per day, and drops the empty ones. Returns how many days went, and rows per
   * workspace key.
   */
  async dropDaysBefore(before: number): Promise<{ partitions: number; rows: Map<number, number> }> {
    const { partitions, counted } = await this.partitions.expireDays(before, async (c, name, day) => {
      const groups = (
        await c.query(
          `SELECT ws, flow_run_id::text AS flow_run_id, name, count(*) AS n,
           count(*) FILTER (WHERE level >= 30 AND level < 40) AS w, count(*) FILTER (WHERE level >= 40) AS e,
           min("timestamp") AS lo, max("timestamp") AS hi, max(seq) AS s
         FROM ${name} GROUP BY 1, 2, 3`,
        )
      ).rows as (LogGroup & { ws: number })[];
      if (!groups.length) return undefined;
      const byWs = new Map<number, LogGroup[]>();
      for (const g of groups) byWs.set(g.ws, [...(byWs.get(g.ws) ?? []), g]);
      const outside = { lo: day * MICROS_PER_DAY, hi: (day + 1) * MICROS_PER_DAY };
      for (const [ws, list] of byWs) await this.correct(c, ws, list, outside);
      await c.query('DELETE FROM otel_log_pending WHERE "timestamp" >= $1 AND "timestamp" < $2', [
        outside.lo,
        outside.hi,
      ]);
      return groups;
    });
    const rows = new Map<number, number>();
    for (const g of counted.flat()) rows.set(g.ws, (rows.get(g.ws) ?? 0) + Number(g.n));
    return { partitions, rows };
  }

  /**
   * The statistics kept at ingest, once the logs of `groups` are gone from workspace `ws`; with
   * `outside`, the logs that remain are those outside that time range (a day about to be dropped).
   */
  private async correct(
    c: pg.PoolClient,
    ws: number,
    groups: LogGroup[],
    outside?: { lo: number; hi: number },
  ): Promise<void> {
    // Both bounds are integers of ours, not input: inlined, they let the planner prune the day.
    const keep = outside ? ` AND ("timestamp" < ${outside.lo} OR "timestamp" >= ${outside.hi})` : '';
    // One statement per step over all the groups (a statement per group cost a plan over every
    // partition each: ~300 ms for 50 logs of 35 runs). Each step touches its keys only.
    // Each table's keys first gather their slots into slot 0 (`mergeSlots`): the steps below touch slot 0 only.
    const runLoggers = groups.filter((g) => g.flow_run_id !== null);
    if (runLoggers.length) {
      const keys = [ws, runLoggers.map((g) => g.flow_run_id), runLoggers.map((g) => g.name)];
      await stats.mergeSlots(
        c,
        'log_run_loggers',
        '(t.flow_run_id, t.name) IN (SELECT * FROM unnest($2::uuid[], $3::text[]))',
        keys,
      );
      await c.query(
        `UPDATE log_run_loggers r SET count = r.count - d.n
         FROM unnest($2::uuid[], $3::text[], $4::int8[]) d(run, name, n)
         WHERE r.ws = $1 AND r.slot = 0 AND r.flow_run_id = d.run AND r.name = d.name`,
        [...keys, runLoggers.map((g) => g.n)],
      );
      // An end is read again only when a removed log was that end (a day drop removes the oldest
      // logs: most runs' ends lie elsewhere, and each read scans the run's logs).
      await c.query(
        `UPDATE log_run_loggers r SET
           first_seen = coalesce((SELECT min("timestamp") FROM logs WHERE ws = $1 AND flow_run_id = r.flow_run_id AND name = r.name${keep}), r.first_seen),
           last_seen = coalesce((SELECT max("timestamp") FROM logs WHERE ws = $1 AND flow_run_id = r.flow_run_id AND name = r.name${keep}), r.last_seen)
         FROM unnest($2::uuid[], $3::text[], $4::int8[], $5::int8[]) d(run, name, lo, hi)
         WHERE r.ws = $1 AND r.slot = 0 AND r.flow_run_id = d.run AND r.name = d.name
           AND (r.first_seen BETWEEN d.lo AND d.hi OR r.last_seen BETWEEN d.lo AND d.hi)`,
        [...keys, runLoggers.map((g) => g.lo), runLoggers.map((g) => g.hi)],
      );
      await c.query(
        `DELETE FROM log_run_loggers r USING unnest($2::uuid[], $3::text[]) d(run, name)
         WHERE r.ws = $1 AND r.slot = 0 AND r.flow_run_id = d.run AND r.name = d.name
           AND (r.count <= 0 OR NOT EXISTS (SELECT 1 FROM logs WHERE ws = $1 AND flow_run_id = r.flow_run_id AND name = r.name${keep}))`,
        keys,
      );
    }
    const perRun = new Map<string, { n: number; w: number; e: number; s: number }>();
    for (const g of runLoggers) {
      const sum = perRun.get(g.flow_run_id!) ?? { n: 0, w: 0, e: 0, s: 0 };
      perRun.set(g.flow_run_id!, {
        n: sum.n + Number(g.n),
        w: sum.w + Number(g.w),
        e: sum.e + Number(g.e),
        s: Math.max(sum.s, Number(g.s)),
      });
    }
    if (perRun.size) {
      const runs = [...perRun.keys()];
      const sums = [...perRun.values()];
      await stats.mergeSlots(c, 'log_run_stats', 't.flow_run_id = ANY($2::uuid[])', [ws, runs]);
      await c.query(
        `UPDATE log_run_stats r SET count = r.count - d.n, warn_count = r.warn_count - d.w, error_count = r.error_count - d.e
         FROM unnest($2::uuid[], $3::int8[], $4::int8[], $5::int8[]) d(run, n, w, e)
         WHERE r.ws = $1 AND r.slot = 0 AND r.flow_run_id = d.run`,
        [ws, runs, sums.map((x) => x.n), sums.map((x) => x.w), sums.map((x) => x.e)],
      );
      await c.query(
        'DELETE FROM log_run_stats WHERE ws = $1 AND slot = 0 AND flow_run_id = ANY($2::uuid[]) AND count <= 0',
        [ws, runs],
      );
      // Read again only when the highest removed seq was the run's highest.
      await c.query(
        `UPDATE log_run_stats r SET max_seq = coalesce((SELECT max(seq) FROM logs WHERE ws = $1 AND flow_run_id = r.flow_run_id${keep}), r.max_seq)
         FROM unnest($2::uuid[], $3::int8[]) d(run, s)
         WHERE r.ws = $1 AND r.slot = 0 AND r.flow_run_id = d.run AND r.max_seq <= d.s`,
        [ws, runs, sums.map((x) => x.s)],
      );
    }
    // The workspace's logger rows are the ones ingest updates too: they come last, so that this
    // transaction holds their locks briefly. `logs_ws_logger` (ws, name, timestamp) finds each end at once.
    const loggers = new Map<string, number>();
    for (const g of groups) loggers.set(g.name, (loggers.get(g.name) ?? 0) + Number(g.n));
    const names = [...loggers.keys()].sort();
    if (!names.length) return;
    await stats.mergeSlots(c, 'log_loggers', 't.name = ANY($2::text[])', [ws, names]);
    await c.query(
      `UPDATE log_loggers g SET count = g.count - d.n,
         first_seen = coalesce((SELECT min("timestamp") FROM logs WHERE ws = $1 AND name = g.name${keep}), g.first_seen),
         last_seen = coalesce((SELECT max("timestamp") FROM logs WHERE ws = $1 AND name = g.name${keep}), g.last_seen)
       FROM unnest($2::text[], $3::int8[]) d(name, n)
       WHERE g.ws = $1 AND g.slot = 0 AND g.name = d.name`,
      [ws, names, names.map((n) => loggers.get(n))],
    );
    await c.query(
      `DELETE FROM log_loggers g WHERE g.ws = $1 AND g.slot = 0 AND g.name = ANY($2::text[])
         AND (g.count <= 0 OR NOT EXISTS (SELECT 1 FROM logs WHERE ws = $1 AND name = g.name${keep}))`,
      [ws, names],
    );
  }
}

/** Deleted logs of one run (null: none) and logger: how many, and how many warnings and errors. */
interface LogGroup {
  flow_run_id: string | null;
  name: string;
  n: number;
  w: number;
  e: number;
  /** Earliest and latest `timestamp`, highest `seq` of the removed logs. */
  lo: number;
  hi: number;
  s: number;
}
