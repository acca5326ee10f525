/**
 * Versioned schema migrations for the SQLite engine. Each entry runs once, in order, inside a
 * transaction; the applied version is kept in `meta`. A database whose version is newer than the
 * last entry here was written by a newer Sightline and is refused.
 */
import type { DatabaseSync } from 'node:sqlite';
import { AppError } from '../../../domain/errors.ts';
import { foundation } from './0001-foundation.ts';
import { logStats } from './0002-log-stats.ts';
import { events } from './0003-events.ts';
import { runs } from './0004-runs.ts';
import { eventRollupsAndTags } from './0005-event-rollups-tags.ts';
import { spans } from './0006-spans.ts';
import { logTextIndexFile } from './0007-log-text-index-file.ts';
import { eventNameIndexWithId } from './0008-event-name-index-with-id.ts';
import { apiKeys } from './0009-api-keys.ts';
import { flowRunManagement } from './0010-flow-run-management.ts';
import { otelSpans } from './0011-otel-spans.ts';
import { retention } from './0012-retention.ts';
import { textIndexDeletions } from './0013-text-index-deletions.ts';
import { webhooks } from './0014-webhooks.ts';
import { otelLogPending } from './0015-otel-log-pending.ts';
import { otelLogIdsByTime } from './0016-otel-log-ids-by-time.ts';
import { dropOtelParentIndex } from './0017-drop-otel-parent-index.ts';

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
  spans,
  logTextIndexFile,
  eventNameIndexWithId,
  apiKeys,
  flowRunManagement,
  otelSpans,
  retention,
  textIndexDeletions,
  webhooks,
  otelLogPending,
  otelLogIdsByTime,
  dropOtelParentIndex,
];

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;

export function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
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
      db.exec(m.sql);
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(m.version));
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
