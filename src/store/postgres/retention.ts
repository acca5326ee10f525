/** PostgreSQL: retention settings, sweep records, the sweep lock and the bounded deletions (ADR 42). */
import { AppError } from '../../domain/errors.ts';
import type { EventGroup, EventOwner, SweepRecord, WorkspaceRetention } from '../../domain/retention.ts';
import { MICROS_PER_DAY, type Micros } from '../../domain/time.ts';
import type { RetentionStore } from '../contract.ts';
import {
  DELETE_OTEL_SPANS_SQL,
  DELETE_OTEL_TRACE_SQL,
  EXPIRED_OTEL_TRACES_SQL,
  EXPIRED_TRACES_SQL,
  FORGET_OTEL_LOG_IDS_SQL,
  LAST_SWEEP_SQL,
  RECORD_SWEEP_SQL,
  SET_SETTINGS_SQL,
  SETTINGS_SQL,
  settingsOf,
  settingsParams,
  sweepOf,
  sweepParams,
  TRACE_HAS_RUN_SQL,
} from '../shared/retention-sql.ts';
import { LOCK, type PgDb } from './db.ts';
import { countEventsBefore, deleteEventsBefore, dropEventDaysBefore } from './event-retention.ts';
import type { PgEvents } from './events.ts';
import type { PgLogs } from './logs.ts';
import type { PgTenancy } from './tenancy.ts';

const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};
const EXPIRED_TRACES = numbered(EXPIRED_TRACES_SQL);
const EXPIRED_OTEL_TRACES = numbered(EXPIRED_OTEL_TRACES_SQL);

export class PgRetention implements RetentionStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly logs: PgLogs;
  private readonly events: PgEvents;

  constructor(db: PgDb, tenancy: PgTenancy, logs: PgLogs, events: PgEvents) {
    this.db = db;
    this.tenancy = tenancy;
    this.logs = logs;
    this.events = events;
  }

  async settings(workspaceId: string): Promise<WorkspaceRetention | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : settingsOf(await this.db.one(numbered(SETTINGS_SQL), [ws]));
  }

  async setSettings(workspaceId: string, s: WorkspaceRetention): Promise<void> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    await this.db.query(numbered(SET_SETTINGS_SQL), [ws, ...settingsParams(s)]);
  }

  async lastSweep(workspaceId: string): Promise<SweepRecord | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : sweepOf(await this.db.one(numbered(LAST_SWEEP_SQL), [ws]));
  }

  async recordSweep(workspaceId: string, s: SweepRecord): Promise<void> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    await this.db.query(numbered(RECORD_SWEEP_SQL), [ws, ...sweepParams(s)]);
  }

  /**
   * A session advisory lock on a connection of its own (outside the pool, which the sweep's
   * transactions need whole), held for the sweep: one sweep across all instances. A killed sweep's
   * connection closes, and the lock goes with it.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const c = this.db.client();
    c.on('error', () => {});
    await c.connect();
    try {
      const got = (await c.query('SELECT pg_try_advisory_lock($1) AS ok', [LOCK.retention])).rows[0].ok as boolean;
      return got ? await fn() : undefined;
    } finally {
      await c.end().catch(() => {});
    }
  }

  async deleteLogs(workspaceId: string, before: Micros, limit: number): Promise<number> {
    return this.logs.deleteBefore(workspaceId, before, limit);
  }

  async countLogs(workspaceId: string, before: Micros): Promise<number> {
    return this.logs.countBefore(workspaceId, before);
  }

  async deleteEvents(owner: EventOwner, group: EventGroup, limit: number): Promise<number> {
    const ws = await this.events.tenantKey(owner);
    return ws === undefined || limit <= 0 ? 0 : deleteEventsBefore(this.events, ws, group, limit);
  }

  async countEvents(owner: EventOwner, group: EventGroup): Promise<number> {
    const ws = await this.events.tenantKey(owner);
    return ws === undefined ? 0 : countEventsBefore(this.events, ws, group);
  }

  async dropExpiredPartitions(
    kind: 'logs' | 'events',
    before: Micros,
  ): Promise<{ partitions: number; rows: Map<string, number> }> {
    const r = kind === 'logs' ? await this.logs.dropDaysBefore(before) : await dropEventDaysBefore(this.events, before);
    const rows = new Map<string, number>();
    for (const [ws, n] of r.rows) {
      const id = (await this.events.tenantOf(ws)).workspaceId ?? '';
      rows.set(id, (rows.get(id) ?? 0) + n);
    }
    return { partitions: r.partitions, rows };
  }

  async prepareAhead(now: Micros): Promise<void> {
    const days = [0, 1, 2].map((d) => now + d * MICROS_PER_DAY);
    await this.logs.partitions.ensureFor(days);
    await this.events.partitions.ensureFor(days);
  }

  async compact(): Promise<void> {
    throw new AppError(
      'invalid_input',
      'PostgreSQL needs no vacuum from Sightline: autovacuum reuses the space of deleted rows, and dropped partitions free theirs at once',
    );
  }

  async expiredTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (await this.db.query<{ id: string }>(EXPIRED_TRACES, [ws, before, before, limit])).map((r) => r.id);
  }

  async expiredOtelTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (await this.db.query<{ trace_id: string }>(EXPIRED_OTEL_TRACES, [ws, before, before, limit])).map(
      (r) => r.trace_id,
    );
  }

  async forgetOtelLogIds(workspaceId: string, before: Micros, limit: number): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined || limit <= 0) return 0;
    return (await this.db.pool.query(numbered(FORGET_OTEL_LOG_IDS_SQL), [ws, before, limit])).rowCount ?? 0;
  }

  async deleteOtelTrace(workspaceId: string, traceId: string): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    return this.db.tx(async (c) => {
      // The trace's spans are locked first: a run joining it meanwhile waits, or is seen here.
      await c.query("SELECT 1 FROM spans WHERE ws = $1 AND trace_id = $2 AND span_type = 'otel' FOR UPDATE", [
        ws,
        traceId,
      ]);
      if ((await c.query(numbered(TRACE_HAS_RUN_SQL), [ws, traceId])).rows.length) return 0;
      for (const sql of DELETE_OTEL_TRACE_SQL) await c.query(numbered(sql), [ws, ws, traceId]);
      return (await c.query(numbered(DELETE_OTEL_SPANS_SQL), [ws, traceId])).rowCount ?? 0;
    });
  }
}
