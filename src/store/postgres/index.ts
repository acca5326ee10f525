/**
 * The scale-out engine: PostgreSQL through a bounded `pg` pool. Several stateless Sightline
 * instances share one database; everything shared (defaults, token secret, positions, the text
 * index watermark, live-stream notices) lives in it.
 *
 * Layout, one file per concern: `db.ts` (pool, `tx`, advisory lock keys), `migrations/`
 * (versioned schema), `streams.ts` (sequence positions safe under concurrent writers),
 * `partitions.ts` (day partitions), `change-feed.ts` (LISTEN/NOTIFY), and one file per resource
 * (`tenancy.ts`, `logs.ts`, …) whose class implements that part of the contract.
 */
import { AppError } from '../../domain/errors.ts';
import { MICROS_PER_DAY, nowMicros } from '../../domain/time.ts';
import type { Store } from '../contract.ts';
import { SqlTraces } from '../sql/traces.ts';
import { PgArtifacts } from './artifacts.ts';
import { PgChangeFeed } from './change-feed.ts';
import { PgDb } from './db.ts';
import { PgDownloads } from './downloads.ts';
import { pgEventProjections } from './event-projections.ts';
import { PgEvents } from './events.ts';
import { PgFlowRuns } from './flow-runs.ts';
import { PgFlows } from './flows.ts';
import { postgresHealth } from './health.ts';
import { PgKeys } from './keys.ts';
import { PgLogs } from './logs.ts';
import { PgMigration } from './migration.ts';
import { migrate } from './migrations/index.ts';
import { PgOtel } from './otel.ts';
import { PgRetention } from './retention.ts';
import { pgReader } from './run-rows.ts';
import { PgSpans } from './spans.ts';
import { PgTags } from './tags.ts';
import { taskRunRecorderProjection } from './task-run-projection.ts';
import { PgTaskRuns } from './task-runs.ts';
import { PgTenancy } from './tenancy.ts';
import { PgWebhooks } from './webhooks.ts';

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'given with --db';
  }
}

export interface PostgresOptions {
  url: string;
  /** Largest number of pooled connections (the LISTEN connection is extra). */
  poolSize: number;
}

export async function openPostgresStore(opts: PostgresOptions): Promise<Store> {
  const db = new PgDb(opts.url, opts.poolSize);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    if (err instanceof AppError && err.code !== 'unavailable') throw err;
    // Unreachable server, wrong credentials, missing database or privileges: say where, not the password.
    throw new AppError(
      'unavailable',
      `Cannot open the PostgreSQL database ${redact(opts.url)}: ${(err as Error).message}`,
    );
  }
  const tenancy = new PgTenancy(db);
  const logs = new PgLogs(db, tenancy);
  const spans = new PgSpans(db, tenancy);
  await spans.projection.backfill(db);
  const taskRuns = new PgTaskRuns(db, tenancy, spans.projection);
  // The task-run recorder runs inside every event append, with the other projections.
  const events = new PgEvents(db, tenancy, [...pgEventProjections(), taskRunRecorderProjection(taskRuns)]);
  // Today's and tomorrow's partitions exist before the first write needs them.
  const now = nowMicros();
  await logs.partitions.ensureFor([now, now + MICROS_PER_DAY]);
  await events.partitions.ensureFor([now, now + MICROS_PER_DAY]);
  const changes = new PgChangeFeed(db);
  let closed: Promise<void> | undefined;
  return {
    engine: 'postgres',
    health: postgresHealth(db),
    tenancy,
    keys: new PgKeys(db),
    logs,
    traces: new SqlTraces(pgReader(db, tenancy)),
    events,
    tags: new PgTags(db, tenancy),
    flows: new PgFlows(db, tenancy),
    flowRuns: new PgFlowRuns(db, tenancy, taskRuns, spans.projection),
    taskRuns,
    artifacts: new PgArtifacts(db, tenancy, spans.projection),
    spans,
    otel: new PgOtel(db, tenancy, spans.projection),
    downloads: new PgDownloads(db, tenancy),
    retention: new PgRetention(db, tenancy, logs, events),
    webhooks: new PgWebhooks(db, tenancy),
    changes,
    migration: new PgMigration(db, { logs: logs.partitions, events: events.partitions }),
    // Concurrent inserts use more of the database's cores; reads keep the rest of the pool.
    writeConcurrency: Math.max(1, Math.min(4, opts.poolSize - 2)),
    close() {
      closed ??= (async () => {
        await changes.close();
        await db.close();
      })();
      return closed;
    },
  };
}
