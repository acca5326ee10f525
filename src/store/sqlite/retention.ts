/** SQLite: retention settings, sweep records and the bounded deletions (ADR 42). */
import type { EventGroup, EventOwner, SweepRecord, WorkspaceRetention } from '../../domain/retention.ts';
import type { Micros } from '../../domain/time.ts';
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
import type { Db } from './db.ts';
import { countEventsBefore, deleteEventsBefore } from './event-retention.ts';
import type { SqliteEvents } from './events.ts';
import type { SqliteLogs } from './logs.ts';
import type { SqliteTenancy } from './tenancy.ts';
import { textPath } from './text-index.ts';

export class SqliteRetention implements RetentionStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly logs: SqliteLogs;
  private readonly events: SqliteEvents;
  /** One writer per file: a sweep in this process is the only one that matters. */
  private sweeping = false;

  private readonly path: string;

  constructor(db: Db, path: string, tenancy: SqliteTenancy, logs: SqliteLogs, events: SqliteEvents) {
    this.db = db;
    this.path = path;
    this.tenancy = tenancy;
    this.logs = logs;
    this.events = events;
  }

  async settings(workspaceId: string): Promise<WorkspaceRetention | undefined> {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : settingsOf(this.db.stmt(SETTINGS_SQL).get(ws));
  }

  async setSettings(workspaceId: string, s: WorkspaceRetention): Promise<void> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    this.db.tx(() => this.db.stmt(SET_SETTINGS_SQL).run(ws, ...settingsParams(s)));
  }

  async lastSweep(workspaceId: string): Promise<SweepRecord | undefined> {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : sweepOf(this.db.stmt(LAST_SWEEP_SQL).get(ws));
  }

  async recordSweep(workspaceId: string, s: SweepRecord): Promise<void> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    this.db.tx(() => this.db.stmt(RECORD_SWEEP_SQL).run(ws, ...sweepParams(s)));
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.sweeping) return undefined;
    this.sweeping = true;
    try {
      return await fn();
    } finally {
      this.sweeping = false;
    }
  }

  async deleteLogs(workspaceId: string, before: Micros, limit: number): Promise<number> {
    return this.logs.deleteBefore(workspaceId, before, limit);
  }

  async countLogs(workspaceId: string, before: Micros): Promise<number> {
    return this.logs.countBefore(workspaceId, before);
  }

  async deleteEvents(owner: EventOwner, group: EventGroup, limit: number): Promise<number> {
    return deleteEventsBefore(this.events, owner, group, limit);
  }

  async countEvents(owner: EventOwner, group: EventGroup): Promise<number> {
    return countEventsBefore(this.events, owner, group);
  }

  async dropExpiredPartitions(): Promise<{ partitions: number; rows: Map<string, number> }> {
    return { partitions: 0, rows: new Map() };
  }

  async prepareAhead(): Promise<void> {}

  async compact(): Promise<void> {
    if (this.path === ':memory:') return;
    const raw = this.db.raw;
    // The text index keeps entries of deleted logs (searches re-check every candidate); they go
    // here, where no indexer is writing.
    raw.prepare('ATTACH DATABASE ? AS prune').run(textPath(this.path));
    try {
      raw.exec('DELETE FROM prune.logs_text WHERE rowid NOT IN (SELECT seq FROM main.logs)');
      raw.exec('VACUUM prune');
    } finally {
      raw.exec('DETACH DATABASE prune');
    }
    raw.exec('VACUUM');
    raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  async expiredTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (this.db.stmt(EXPIRED_TRACES_SQL).all(ws, before, before, limit) as { id: string }[]).map((r) => r.id);
  }

  async expiredOtelTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (this.db.stmt(EXPIRED_OTEL_TRACES_SQL).all(ws, before, before, limit) as { trace_id: string }[]).map(
      (r) => r.trace_id,
    );
  }

  async forgetOtelLogIds(workspaceId: string, before: Micros, limit: number): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || limit <= 0) return 0;
    return Number(this.db.tx(() => this.db.stmt(FORGET_OTEL_LOG_IDS_SQL).run(ws, before, limit).changes));
  }

  async deleteOtelTrace(workspaceId: string, traceId: string): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    return this.db.tx(() => {
      if (this.db.stmt(TRACE_HAS_RUN_SQL).get(ws, traceId)) return 0;
      for (const sql of DELETE_OTEL_TRACE_SQL) this.db.stmt(sql).run(ws, ws, traceId);
      return Number(this.db.stmt(DELETE_OTEL_SPANS_SQL).run(ws, traceId).changes);
    });
  }
}
