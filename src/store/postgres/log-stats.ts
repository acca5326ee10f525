/**
 * PostgreSQL: the log statistics `append` maintains (per-run counters, logger statistics) and the
 * reads served from them; also the reads of live subscribers (`lastSeq`, `tail`).
 *
 * Every statistics row has a `slot` in its key (ADR 49): an append adds its counts to the slot of
 * its connection, so concurrent appends to one busy run or a common logger name update different
 * rows — one row per key made them queue on its lock until each other's commit. Reads add a
 * key's slots up (at most `SLOTS` rows). Two connections sharing a slot still wait for each other:
 * each statement takes its row locks in key order and the three tables are always updated in the
 * same order, so they never deadlock. Retention merges a key's slots into slot 0 before it
 * corrects the counts (`mergeSlots`).
 */
import type { LogRow } from '../../domain/logs.ts';
import type { ObservedLogger, ObservedLoggerQuery } from '../../domain/observed-loggers.ts';
import type { RunLogStats } from '../contract.ts';
import { aggregateLogStats, type LoggerDelta } from '../shared/log-stats.ts';
import type { PgDb, Queryable } from './db.ts';
import { param } from './dialect.ts';
import { committedUpto } from './streams.ts';

/** Slots per key: more than the connections that append at once in a usual deployment. */
const SLOTS = 16;
const SLOT = `(pg_backend_pid() % ${SLOTS})::smallint`;

/** How a row's statistics absorb another's (`excluded`) for the same key. */
const MERGE_RUNS = `count = log_run_stats.count + excluded.count,
    max_seq = greatest(log_run_stats.max_seq, excluded.max_seq),
    warn_count = log_run_stats.warn_count + excluded.warn_count,
    error_count = log_run_stats.error_count + excluded.error_count`;
const MERGE = (
  t: string,
) => `count = ${t}.count + excluded.count, first_seen = least(${t}.first_seen, excluded.first_seen),
    last_seen = greatest(${t}.last_seen, excluded.last_seen)`;
const UPSERT_RUNS = `INSERT INTO log_run_stats (ws, flow_run_id, slot, count, max_seq, warn_count, error_count)
  SELECT ws, run, ${SLOT}, n, s, w, e FROM unnest($1::int[], $2::uuid[], $3::int8[], $4::int8[], $5::int8[], $6::int8[]) d(ws, run, n, s, w, e)
  ON CONFLICT (ws, flow_run_id, slot) DO UPDATE SET ${MERGE_RUNS}`;
const UPSERT_LOGGERS = `INSERT INTO log_loggers (ws, name, slot, count, first_seen, last_seen)
  SELECT ws, name, ${SLOT}, n, lo, hi FROM unnest($1::int[], $2::text[], $3::int8[], $4::int8[], $5::int8[]) d(ws, name, n, lo, hi)
  ON CONFLICT (ws, name, slot) DO UPDATE SET ${MERGE('log_loggers')}`;
const UPSERT_RUN_LOGGERS = `INSERT INTO log_run_loggers (ws, flow_run_id, name, slot, count, first_seen, last_seen)
  SELECT ws, run, name, ${SLOT}, n, lo, hi FROM unnest($1::int[], $2::uuid[], $3::text[], $4::int8[], $5::int8[], $6::int8[]) d(ws, run, name, n, lo, hi)
  ON CONFLICT (ws, flow_run_id, name, slot) DO UPDATE SET ${MERGE('log_run_loggers')}`;

const COLUMNS = 'seq, id, created, name, level, message, "timestamp", flow_run_id, task_run_id, worker_id';

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: { ws: number | string; flowRunId: string | null; name?: string }, b: typeof a) =>
  Number(a.ws) - Number(b.ws) ||
  byCodePoint(a.flowRunId ?? '', b.flowRunId ?? '') ||
  byCodePoint(a.name ?? '', b.name ?? '');

function loggerColumns(ds: LoggerDelta[], withRun: boolean): unknown[][] {
  const cols = [ds.map((d) => d.ws), ...(withRun ? [ds.map((d) => d.flowRunId)] : []), ds.map((d) => d.name)];
  return [...cols, ds.map((d) => d.count), ds.map((d) => d.firstSeen), ds.map((d) => d.lastSeen)];
}

/**
 * Inside the transaction `c` (an append's, or a late link's, see `otel-log-links.ts`): `keys[i]` is
 * the workspace key of `rows[i]`. `workspace: false` leaves the workspace's logger counts alone:
 * logs already counted there that now joined a run.
 */
export async function updateLogStats(
  c: Queryable,
  rows: Pick<LogRow, 'seq' | 'level' | 'name' | 'timestamp' | 'flow_run_id'>[],
  keys: number[],
  workspace = true,
): Promise<void> {
  const delta = aggregateLogStats(rows, keys);
  // JavaScript's `<` on strings is UTF-16 order; ties between key orders across writers only need
  // to be consistent, not to match the collation.
  const runs = delta.runs.sort(byKey);
  if (runs.length) {
    await c.query(UPSERT_RUNS, [
      runs.map((d) => d.ws),
      runs.map((d) => d.flowRunId),
      runs.map((d) => d.count),
      runs.map((d) => d.maxSeq),
      runs.map((d) => d.warnings),
      runs.map((d) => d.errors),
    ]);
  }
  const loggers = delta.loggers.sort(byKey);
  if (loggers.length && workspace) await c.query(UPSERT_LOGGERS, loggerColumns(loggers, false));
  const runLoggers = delta.runLoggers.sort(byKey);
  if (runLoggers.length) await c.query(UPSERT_RUN_LOGGERS, loggerColumns(runLoggers, true));
}

/** A run's counters: the sums over its slots. */
const RUN_SUMS =
  'sum(count)::int8 AS count, max(max_seq) AS max_seq, sum(warn_count)::int8 AS warn_count, sum(error_count)::int8 AS error_count';

export async function runStats(db: PgDb, ws: number, flowRunId: string): Promise<RunLogStats | undefined> {
  const row = await db.one<{ count: number; max_seq: number; warn_count: number; error_count: number }>(
    `SELECT ${RUN_SUMS} FROM log_run_stats WHERE ws = $1 AND flow_run_id = $2 GROUP BY flow_run_id`,
    [ws, flowRunId],
  );
  return row && { count: row.count, maxSeq: row.max_seq, warnings: row.warn_count, errors: row.error_count };
}

export async function runStatsMany(db: PgDb, ws: number, flowRunIds: string[]): Promise<Map<string, RunLogStats>> {
  const out = new Map<string, RunLogStats>();
  if (!flowRunIds.length) return out;
  const rows = await db.query<{
    flow_run_id: string;
    count: number;
    max_seq: number;
    warn_count: number;
    error_count: number;
  }>(
    `SELECT flow_run_id, ${RUN_SUMS} FROM log_run_stats WHERE ws = $1 AND flow_run_id = ANY($2::uuid[]) GROUP BY flow_run_id`,
    [ws, flowRunIds],
  );
  for (const r of rows)
    out.set(r.flow_run_id, { count: r.count, maxSeq: r.max_seq, warnings: r.warn_count, errors: r.error_count });
  return out;
}

export async function observedLoggers(
  db: PgDb,
  ws: number,
  query: ObservedLoggerQuery & { flowRunIds?: string[] },
): Promise<ObservedLogger[]> {
  if (query.flowRunIds?.length === 0) return [];
  const p: unknown[] = [];
  const where = [`ws = ${param(p, ws)}`];
  if (query.flowRunIds) where.push(`flow_run_id = ANY(${param(p, query.flowRunIds)}::uuid[])`);
  if (query.prefix) {
    const prefix = param(p, query.prefix);
    where.push(`name >= ${prefix} AND starts_with(name, ${prefix})`);
  }
  const order = query.orderBy === 'NAME_ASC' ? 'name' : 'last_seen DESC, name';
  const limit = param(p, query.limit);
  // Slots, and a logger's rows in several runs, add up the same way.
  const sql = `SELECT name, sum(count)::int8 AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM ${query.flowRunIds ? 'log_run_loggers' : 'log_loggers'} WHERE ${where.join(' AND ')}
    GROUP BY name ORDER BY ${order} LIMIT ${limit}`;
  const rows = await db.query<{ name: string; count: number; first_seen: number; last_seen: number }>(sql, p);
  return rows.map((r) => ({ name: r.name, count: r.count, firstSeen: r.first_seen, lastSeen: r.last_seen }));
}

/** Writers commit out of order here: the live position is the committed one (`streams.ts`). */
export function lastSeq(db: PgDb): Promise<number> {
  return committedUpto(db, 'logs');
}

export function tail(db: PgDb, ws: number, range: { after: number; upTo: number; limit: number }): Promise<LogRow[]> {
  return db.query<LogRow>(
    `SELECT ${COLUMNS} FROM logs WHERE seq > $1 AND seq <= $2 AND ws = $3 ORDER BY seq LIMIT $4`,
    [range.after, range.upTo, ws, range.limit],
  );
}

/** Each statistics table's key columns after `ws` and how its counts add up. */
const TABLES = {
  log_run_stats: {
    key: 'flow_run_id',
    sums: 'sum(count), max(max_seq), sum(warn_count), sum(error_count)',
    cols: 'count, max_seq, warn_count, error_count',
    merge: MERGE_RUNS,
  },
  log_run_loggers: {
    key: 'flow_run_id, name',
    sums: 'sum(count), min(first_seen), max(last_seen)',
    cols: 'count, first_seen, last_seen',
    merge: MERGE('log_run_loggers'),
  },
  log_loggers: {
    key: 'name',
    sums: 'sum(count), min(first_seen), max(last_seen)',
    cols: 'count, first_seen, last_seen',
    merge: MERGE('log_loggers'),
  },
};

/**
 * Retention, inside its transaction, before it corrects a table's statistics: the keys `match`
 * selects (on alias `t`; `$1` is the workspace key) move from every slot into slot 0, so that the
 * corrections (decrements, ends read again, rows dropped at zero) apply to one row per key and
 * never leave a negative slot. Appends committed meanwhile add to their own slots again: their
 * logs were not among the removed ones. Rows are merged in key order, as appends take them.
 */
export async function mergeSlots(
  c: Queryable,
  table: keyof typeof TABLES,
  match: string,
  params: unknown[],
): Promise<void> {
  const t = TABLES[table];
  await c.query(
    `WITH moved AS (DELETE FROM ${table} t WHERE t.ws = $1 AND ${match} AND t.slot <> 0 RETURNING t.*)
     INSERT INTO ${table} (ws, ${t.key}, slot, ${t.cols})
     SELECT ws, ${t.key}, 0, ${t.sums} FROM moved GROUP BY ws, ${t.key} ORDER BY ${t.key}
     ON CONFLICT (ws, ${t.key}, slot) DO UPDATE SET ${t.merge}`,
    params,
  );
}
