/**
 * The event-name index carries `id` too, so a page of events filtered by name or prefix is
 * ordered by `(occurred, id)` from the index alone: only the page's rows are read from the table.
 */
import type { Migration } from './index.ts';

export const eventNameIndexWithId: Migration = {
  version: 8,
  name: 'events: (ws, event, occurred, id) index',
  sql: `
      DROP INDEX events_ws_event;
      CREATE INDEX events_ws_event ON events (ws, event, occurred, id);
    `,
};
