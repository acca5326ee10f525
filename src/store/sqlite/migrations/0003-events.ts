/**
 * Events. `ws` is the workspace key, 0 for an account-scope event; `acct` is the account's rowid.
 * Dedup is the unique `(ws, acct, id)`: per workspace, or per account for account-scope events.
 * `event_related` indexes related resource ids by a 53-bit hash (`rid_hash`, see
 * `shared/event-keys.ts`): compact rows keep ingest cheap, and every use re-checks the candidate
 * events' JSON, so a collision never changes a result. The JSON columns keep the event as received.
 * Account-scope reads use `ws IN (the account's workspaces, 0) AND acct = ?` on `events_ws_occurred`.
 */
import type { Migration } from './index.ts';

export const events: Migration = {
  version: 3,
  name: 'events',
  sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        acct INTEGER NOT NULL,
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        occurred INTEGER NOT NULL,
        received INTEGER NOT NULL,
        event TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        related TEXT NOT NULL,
        payload TEXT NOT NULL,
        follows TEXT,
        -- The actor (first related resource with role actor): id and name, for count-by actor.
        actor_id TEXT,
        actor_name TEXT
      );
      CREATE UNIQUE INDEX events_dedup ON events (ws, acct, id);
      CREATE INDEX events_ws_occurred ON events (ws, occurred, id);
      CREATE INDEX events_ws_event ON events (ws, event, occurred);
      CREATE INDEX events_ws_resource ON events (ws, resource_id, occurred);
      CREATE TABLE event_related (
        rid_hash INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (rid_hash, seq)
      ) WITHOUT ROWID;
    `,
};
