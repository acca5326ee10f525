/**
 * Versioned schema migrations for the PostgreSQL engine, like SQLite's: each entry runs once, in
 * order, in one transaction with the others pending; the applied version is kept in `meta`. The
 * whole run holds an advisory lock, so instances starting together on one database migrate it once.
 * A database whose version is newer than the last entry here was written by a newer Sightline and
 * is refused.
 */
import { AppError } from '../../../domain/errors.ts';
import { LOCK, type PgDb } from '../db.ts';
import { foundation } from './0001-foundation.ts';
import { logStats } from './0002-log-stats.ts';
import { events } from './0003-events.ts';
import { runs } from './0004-runs.ts';
import { eventRollupsAndTags } from './0005-event-rollups-tags.ts';
import { unloggedTextIndex } from './0006-unlogged-text-index.ts';
import { spans } from './0007-spans.ts';
import { relatedIndexPendingList } from './0008-related-index-pending-list.ts';
import { spansObservedWithoutTags } from './0009-spans-observed-without-tags.ts';
import { apiKeys } from './0010-api-keys.ts';
import { flowRunManagement } from './0011-flow-run-management.ts';
import { otelSpans } from './0012-otel-spans.ts';
import { retention } from './0013-retention.ts';
import { webhooks } from './0014-webhooks.ts';
import { otelLogPending } from './0015-otel-log-pending.ts';
import { textIndexBySeq } from './0016-text-index-by-seq.ts';
import { otelLogIdsByTime } from './0017-otel-log-ids-by-time.ts';
import { logStatsSlots } from './0018-log-stats-slots.ts';
import { textIndexWithoutLogger } from './0019-text-index-without-logger.ts';
import { dropOtelParentIndex } from './0020-drop-otel-parent-index.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** In version order. Each issue adds its own file; numbers are never reused. */
export const migrations: Migration[] = [
  foundation,
  logStats,
  events,
  runs,
  eventRollupsAndTags,
  unloggedTextIndex,
  spans,
  relatedIndexPendingList,
  spansObservedWithoutTags,
  apiKeys,
  flowRunManagement,
  otelSpans,
  retention,
  webhooks,
  otelLogPending,
  textIndexBySeq,
  otelLogIdsByTime,
  logStatsSlots,
  textIndexWithoutLogger,
  dropOtelParentIndex,
];

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;

export async function migrate(db: PgDb): Promise<void> {
  await db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK.migrate]);
    await c.query('CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)');
    const row = await db.one<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'", [], c);
    const current = row ? Number(row.value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new AppError(
        'schema_too_new',
        `The database schema is version ${current}, but this Sightline knows versions up to ${SCHEMA_VERSION}. ` +
          'It was written by a newer Sightline: upgrade Sightline, or point --db at another database.',
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await c.query(m.sql);
      await c.query(
        "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(m.version)],
      );
    }
  });
}
