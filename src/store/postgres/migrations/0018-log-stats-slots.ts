/**
 * Log statistics off the hot row (ADR 49): each statistics row gains a `slot`, part of its key.
 * An append adds its counts to the slot of its connection (`pg_backend_pid() % 16`), so concurrent
 * writers to one run or logger update different rows instead of queueing on one row lock until
 * their commits; reads add a key's slots up. Existing rows become slot 0.
 */
import type { Migration } from './index.ts';

export const logStatsSlots: Migration = {
  version: 18,
  name: 'log statistics in slots: concurrent appends no longer wait on one row',
  sql: `
    ALTER TABLE log_run_stats ADD COLUMN slot smallint NOT NULL DEFAULT 0;
    ALTER TABLE log_run_stats DROP CONSTRAINT log_run_stats_pkey, ADD PRIMARY KEY (ws, flow_run_id, slot);
    ALTER TABLE log_loggers ADD COLUMN slot smallint NOT NULL DEFAULT 0;
    ALTER TABLE log_loggers DROP CONSTRAINT log_loggers_pkey, ADD PRIMARY KEY (ws, name, slot);
    ALTER TABLE log_run_loggers ADD COLUMN slot smallint NOT NULL DEFAULT 0;
    ALTER TABLE log_run_loggers DROP CONSTRAINT log_run_loggers_pkey, ADD PRIMARY KEY (ws, flow_run_id, name, slot);
  `,
};
