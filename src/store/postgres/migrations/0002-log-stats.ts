/**
 * Statistics maintained at ingest, so that ETags and observed loggers never count logs: per-run
 * counters, per-logger statistics for the workspace and per (flow run, logger). Logger names
 * compare by code point (`COLLATE "C"`), as on SQLite. Existing logs are aggregated once here.
 */
import type { Migration } from './index.ts';

export const logStats: Migration = {
  version: 2,
  name: 'log statistics: per-run counters and observed loggers',
  sql: `
    CREATE TABLE log_run_stats (
      ws integer NOT NULL,
      flow_run_id uuid NOT NULL,
      count bigint NOT NULL,
      max_seq bigint NOT NULL,
      PRIMARY KEY (ws, flow_run_id)
    );
    CREATE TABLE log_loggers (
      ws integer NOT NULL,
      name text COLLATE "C" NOT NULL,
      count bigint NOT NULL,
      first_seen bigint NOT NULL,
      last_seen bigint NOT NULL,
      PRIMARY KEY (ws, name)
    );
    CREATE TABLE log_run_loggers (
      ws integer NOT NULL,
      flow_run_id uuid NOT NULL,
      name text COLLATE "C" NOT NULL,
      count bigint NOT NULL,
      first_seen bigint NOT NULL,
      last_seen bigint NOT NULL,
      PRIMARY KEY (ws, flow_run_id, name)
    );
    INSERT INTO log_run_stats (ws, flow_run_id, count, max_seq)
      SELECT ws, flow_run_id, count(*), max(seq) FROM logs WHERE flow_run_id IS NOT NULL GROUP BY ws, flow_run_id;
    INSERT INTO log_loggers (ws, name, count, first_seen, last_seen)
      SELECT ws, name, count(*), min("timestamp"), max("timestamp") FROM logs GROUP BY ws, name;
    INSERT INTO log_run_loggers (ws, flow_run_id, name, count, first_seen, last_seen)
      SELECT ws, flow_run_id, name, count(*), min("timestamp"), max("timestamp") FROM logs
      WHERE flow_run_id IS NOT NULL GROUP BY ws, flow_run_id, name;
  `,
};
