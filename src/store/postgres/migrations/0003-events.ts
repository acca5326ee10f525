/**
 * Events, partitioned by day on `occurred` (see ADR "PostgreSQL partitions and dedup").
 * `ws` is the workspace key, or minus the account key (`accounts.k`) for account-scope events, so
 * one column names the tenant. Dedup is `UNIQUE (ws, id, occurred)`: a unique index on a
 * partitioned table must hold the partition key; a resend carries the same `occurred`, so it
 * conflicts (the residual case — one id re-sent with another `occurred` — is in the contract).
 * JSON parts are `json` (kept as received); related resource ids are indexed as 53-bit hashes in
 * `rid_hashes` (GIN), every use re-checked against the JSON. `event` and `resource_id` use the C
 * collation so prefixes are index ranges.
 */
import type { Migration } from './index.ts';

export const events: Migration = {
  version: 3,
  name: 'events',
  sql: `
    ALTER TABLE accounts ADD COLUMN k serial UNIQUE;
    CREATE SEQUENCE events_seq AS bigint CACHE 1;
    CREATE TABLE events (
      ws integer NOT NULL,
      seq bigint NOT NULL,
      id uuid NOT NULL,
      occurred bigint NOT NULL,
      received bigint NOT NULL,
      event text COLLATE "C" NOT NULL,
      resource_id text COLLATE "C" NOT NULL,
      resource json NOT NULL,
      related json NOT NULL,
      payload json NOT NULL,
      follows uuid,
      rid_hashes bigint[] NOT NULL,
      actor_id text,
      actor_name text
    ) PARTITION BY RANGE (occurred);
    CREATE TABLE events_default PARTITION OF events DEFAULT;
    CREATE UNIQUE INDEX events_dedup ON events (ws, id, occurred);
    CREATE INDEX events_ws_occurred ON events (ws, occurred, id);
    CREATE INDEX events_ws_event ON events (ws, event, occurred);
    CREATE INDEX events_ws_resource ON events (ws, resource_id, occurred);
    CREATE INDEX events_seq_idx ON events (seq);
    CREATE INDEX events_related ON events USING gin (rid_hashes);
  `,
};
