/**
 * The projections the SQLite engine runs inside every event append transaction, in order. Each
 * resource that derives state from events adds its projection here (tags, count-by rollups, the
 * task-run recorder).
 */
import type { SqliteEventProjection } from './events.ts';

export function sqliteEventProjections(): SqliteEventProjection[] {
  return [];
}
