/**
 * SQLite: the log statistics kept at ingest (per-run counters, logger statistics), updated by
 * `append` and by the late linking of OTLP records to runs (`otel-log-links.ts`), inside the
 * caller's transaction.
 */
import type { LogRow } from '../../domain/logs.ts';
import { aggregateLogStats } from '../shared/log-stats.ts';
import type { Db } from './db.ts';

const UPSERT_RUN = `INSERT INTO log_run_stats (ws, flow_run_id, count, max_seq, warn_count, error_count) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (ws, flow_run_id) DO UPDATE SET count = count + excluded.count, max_seq = max(max_seq, excluded.max_seq),
    warn_count = warn_count + excluded.warn_count, error_count = error_count + excluded.error_count`;
const LOGGER_STATS = `count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen)`;
const UPSERT_LOGGER = `INSERT INTO log_loggers (ws, name, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (ws, name) DO UPDATE SET ${LOGGER_STATS}`;
const UPSERT_RUN_LOGGER = `INSERT INTO log_run_loggers (ws, flow_run_id, name, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (ws, flow_run_id, name) DO UPDATE SET ${LOGGER_STATS}`;

/**
 * Adds `rows` (`keys[i]` the workspace key of `rows[i]`) to the statistics. `workspace: false`
 * leaves the workspace's logger counts alone: logs already counted there that now joined a run.
 */
export function addLogStats(
  db: Db,
  rows: Pick<LogRow, 'seq' | 'level' | 'name' | 'timestamp' | 'flow_run_id'>[],
  keys: number[],
  workspace = true,
): void {
  const delta = aggregateLogStats(rows, keys);
  const run = db.stmt(UPSERT_RUN);
  for (const d of delta.runs) run.run(d.ws, d.flowRunId, d.count, d.maxSeq, d.warnings, d.errors);
  if (workspace) {
    const logger = db.stmt(UPSERT_LOGGER);
    for (const d of delta.loggers) logger.run(d.ws, d.name, d.count, d.firstSeen, d.lastSeen);
  }
  const runLogger = db.stmt(UPSERT_RUN_LOGGER);
  for (const d of delta.runLoggers) runLogger.run(d.ws, d.flowRunId, d.name, d.count, d.firstSeen, d.lastSeen);
}
