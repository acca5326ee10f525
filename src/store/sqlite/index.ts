/**
 * The embedded engine: one `node:sqlite` writer connection in WAL mode, a read connection, and
 * the log text index in a file of its own built by a worker thread (`text-index.ts`).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../contract.ts';
import { MemoryChangeFeed } from '../shared/memory-change-feed.ts';
import { SqlTraces } from '../sql/traces.ts';
import { SqliteArtifacts } from './artifacts.ts';
import { Db, type SyncMode } from './db.ts';
import { SqliteDownloads } from './downloads.ts';
import { sqliteEventProjections } from './event-projections.ts';
import { SqliteEvents } from './events.ts';
import { SqliteFlowRuns } from './flow-runs.ts';
import { SqliteFlows } from './flows.ts';
import { sqliteHealth } from './health.ts';
import { SqliteKeys } from './keys.ts';
import { SqliteLogs } from './logs.ts';
import { SqliteMigration } from './migration.ts';
import { migrate } from './migrations/index.ts';
import { SqliteOtel } from './otel.ts';
import { SqliteRetention } from './retention.ts';
import { sqliteReader } from './run-rows.ts';
import { SqliteSpans } from './spans.ts';
import { SqliteTags } from './tags.ts';
import { taskRunRecorderProjection } from './task-run-projection.ts';
import { SqliteTaskRuns } from './task-runs.ts';
import { SqliteTenancy } from './tenancy.ts';
import { LogTextIndex } from './text-index.ts';
import type { TextPlanLimits } from './text-plan.ts';
import { SqliteWebhooks } from './webhooks.ts';

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  path: string;
  sync: SyncMode;
  /** Thresholds of the text-search planner (tests make them tiny to reach every plan). */
  textPlan?: TextPlanLimits;
}

export function openSqliteStore(opts: SqliteOptions): Store {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  const db = new Db(opts.path, opts.sync);
  try {
    migrate(db.raw);
  } catch (err) {
    db.close();
    throw err;
  }
  let text: LogTextIndex;
  try {
    text = new LogTextIndex(db, opts.path, opts.sync);
  } catch (err) {
    db.close();
    throw err;
  }
  const tenancy = new SqliteTenancy(db);
  const spans = new SqliteSpans(db, tenancy);
  spans.projection.backfill();
  const taskRuns = new SqliteTaskRuns(db, tenancy, spans.projection);
  const logs = new SqliteLogs(db, tenancy, text, { textPlan: opts.textPlan });
  const events = new SqliteEvents(db, tenancy, [...sqliteEventProjections(), taskRunRecorderProjection(taskRuns)]);
  return {
    engine: 'sqlite',
    health: sqliteHealth(db, opts.path),
    tenancy,
    keys: new SqliteKeys(db),
    logs,
    traces: new SqlTraces(sqliteReader(db, tenancy)),
    events,
    tags: new SqliteTags(db, tenancy),
    flows: new SqliteFlows(db, tenancy),
    flowRuns: new SqliteFlowRuns(db, tenancy, taskRuns, spans.projection),
    taskRuns,
    artifacts: new SqliteArtifacts(db, tenancy, spans.projection),
    spans,
    otel: new SqliteOtel(db, tenancy, spans.projection),
    downloads: new SqliteDownloads(db, tenancy),
    retention: new SqliteRetention(db, opts.path, tenancy, logs, events),
    webhooks: new SqliteWebhooks(db, tenancy),
    changes: new MemoryChangeFeed(),
    migration: new SqliteMigration(db),
    async close() {
      await text.close();
      db.close();
    },
  };
}
