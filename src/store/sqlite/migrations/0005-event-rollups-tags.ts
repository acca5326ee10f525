/**
 * Derived event state, maintained inside the append transaction by the event projections:
 * - `event_rollup_names`: events per (tenant, hour, event name, actor id — `''` for none), with the
 *   actor's latest name — answers count-by day/time/event/workspace/actor over a window and
 *   event-name filters with a few rows per hour;
 * - `event_rollup_resources`: events per (tenant, hour, event name, primary resource), with the
 *   resource's latest name — answers resource-id filters and count-by resource;
 * - `flow_run_event_counts`: events of each flow run (own, and of its task runs) — the ETag of
 *   `GET /flow_runs/{id}/events` without counting per request;
 * - `tags`: the workspace tag index fed by events' `prefect.tag.*` related resources.
 * `hour` is `occurred` truncated to the hour, in microseconds.
 */
import type { Migration } from './index.ts';

export const eventRollupsAndTags: Migration = {
  version: 5,
  name: 'event rollups, flow-run event counters and tags',
  sql: `
      CREATE TABLE event_rollup_names (
        acct INTEGER NOT NULL,
        ws INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        event TEXT NOT NULL,
        actor TEXT NOT NULL,
        n INTEGER NOT NULL,
        first_occurred INTEGER NOT NULL,
        last_occurred INTEGER NOT NULL,
        actor_name TEXT,
        actor_name_at INTEGER,
        PRIMARY KEY (acct, ws, hour, event, actor)
      ) WITHOUT ROWID;
      CREATE TABLE event_rollup_resources (
        acct INTEGER NOT NULL,
        ws INTEGER NOT NULL,
        resource_id TEXT NOT NULL,
        hour INTEGER NOT NULL,
        event TEXT NOT NULL,
        n INTEGER NOT NULL,
        first_occurred INTEGER NOT NULL,
        last_occurred INTEGER NOT NULL,
        name TEXT,
        name_at INTEGER,
        PRIMARY KEY (ws, resource_id, hour, event, acct)
      ) WITHOUT ROWID;
      CREATE TABLE flow_run_event_counts (
        ws INTEGER NOT NULL,
        flow_run_id TEXT NOT NULL,
        own INTEGER NOT NULL DEFAULT 0,
        task INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (ws, flow_run_id)
      ) WITHOUT ROWID;
      CREATE TABLE tags (
        ws INTEGER NOT NULL,
        name TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (ws, name)
      ) WITHOUT ROWID;
      CREATE INDEX tags_last_seen ON tags (ws, last_seen);
    `,
};
