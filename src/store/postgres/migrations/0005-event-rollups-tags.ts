/**
 * Derived event state kept inside the append transaction (as on SQLite): hourly counts per
 * (tenant, event name, actor) and per (workspace, resource, event name) with the resource's latest known
 * name, events per flow run (the ETag of a run's events page), and the workspace tag index.
 * `ws` follows `events.ws` (minus the account key for account-scope events).
 */
import type { Migration } from './index.ts';

export const eventRollupsAndTags: Migration = {
  version: 5,
  name: 'event rollups, flow-run event counters and tags',
  sql: `
    CREATE TABLE event_rollup_names (
      ws integer NOT NULL,
      hour bigint NOT NULL,
      event text COLLATE "C" NOT NULL,
      actor text NOT NULL,
      n bigint NOT NULL,
      first_occurred bigint NOT NULL,
      last_occurred bigint NOT NULL,
      actor_name text,
      actor_name_at bigint,
      PRIMARY KEY (ws, hour, event, actor)
    );
    CREATE TABLE event_rollup_resources (
      ws integer NOT NULL,
      resource_id text COLLATE "C" NOT NULL,
      hour bigint NOT NULL,
      event text COLLATE "C" NOT NULL,
      n bigint NOT NULL,
      first_occurred bigint NOT NULL,
      last_occurred bigint NOT NULL,
      name text,
      name_at bigint,
      PRIMARY KEY (ws, resource_id, hour, event)
    );
    CREATE TABLE flow_run_event_counts (
      ws integer NOT NULL,
      flow_run_id text NOT NULL,
      own bigint NOT NULL DEFAULT 0,
      task bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (ws, flow_run_id)
    );
    CREATE TABLE tags (
      ws integer NOT NULL,
      name text COLLATE "C" NOT NULL,
      first_seen bigint NOT NULL,
      last_seen bigint NOT NULL,
      n bigint NOT NULL,
      PRIMARY KEY (ws, name)
    );
    CREATE INDEX tags_last_seen ON tags (ws, last_seen);
  `,
};
