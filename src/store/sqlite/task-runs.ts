/** SQLite: task runs, their state history, and the task-run recorder's projection. */
import { applyTransition, emptyTiming, type RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { TaskRunSort } from '../../domain/runs/filters.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import type { TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun, TaskRunRow } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { StateWrite, StateWriteResult, TaskRunStore } from '../contract.ts';
import { recordedTaskRunColumns, taskRunColumns, timingColumns } from '../shared/run-columns.ts';
import { planRecording, type StoredTaskRunKey, taskRunKey } from '../shared/task-run-batch.ts';
import { RunReads, TASK_RUN_SELECT, TASK_RUNS } from '../sql/run-reads.ts';
import type { Db } from './db.ts';
import { insertColumns, insertState, type Row, sqliteReader, toTaskRun, updateColumns } from './run-rows.ts';
import type { SqliteSpanProjection } from './span-projection.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteTaskRuns extends RunReads<TaskRunSort, TaskRunRow> implements TaskRunStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly spans: SqliteSpanProjection;

  constructor(db: Db, tenancy: SqliteTenancy, spans: SqliteSpanProjection) {
    super(sqliteReader(db, tenancy), TASK_RUNS, 'task_run_states');
    this.db = db;
    this.tenancy = tenancy;
    this.spans = spans;
  }

  private ws(workspaceId: string): number {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return ws;
  }

  getInTx(ws: number, id: string): TaskRunRow | undefined {
    const r = this.db.stmt(`${TASK_RUN_SELECT} WHERE tr.ws = ? AND tr.id = ?`).get(ws, id) as Row | undefined;
    return r ? toTaskRun(r) : undefined;
  }

  private getByKeyInTx(ws: number, flowRunId: string, taskKey: string, dynamicKey: string): TaskRunRow | undefined {
    const r = this.db
      .stmt(`${TASK_RUN_SELECT} WHERE tr.ws = ? AND tr.flow_run_id = ? AND tr.task_key = ? AND tr.dynamic_key = ?`)
      .get(ws, flowRunId, taskKey, dynamicKey) as Row | undefined;
    return r ? toTaskRun(r) : undefined;
  }

  private insertInTx(ws: number, run: NewTaskRun, t: RunTiming): void {
    insertColumns(this.db, 'task_runs', taskRunColumns(ws, run, t));
  }

  /** Makes `state` the run's current state (bookkeeping applied); runs inside the caller's transaction. */
  applyStateInTx(ws: number, run: TaskRunRow, state: StateRow, updated: number, flowRunRunCount?: number): TaskRunRow {
    const t = applyTransition(run, run.state, state);
    const frrc = flowRunRunCount ?? run.flow_run_run_count;
    insertState(this.db, 'task_run_states', ws, run.id, state);
    updateColumns(this.db, 'task_runs', { updated, ...timingColumns(t), flow_run_run_count: frrc }, ws, run.id);
    this.spans.taskRunChanged(ws, run.id, state);
    return { ...run, ...t, updated, flow_run_run_count: frrc, state };
  }

  async create(
    workspaceId: string,
    run: NewTaskRun,
    initial: StateRow,
  ): Promise<{ run: TaskRunRow; created: boolean }> {
    const ws = this.ws(workspaceId);
    return this.db.tx(() => {
      const existing =
        this.getInTx(ws, run.id) ??
        (run.flow_run_id !== null ? this.getByKeyInTx(ws, run.flow_run_id, run.task_key, run.dynamic_key) : undefined);
      if (existing) return { run: existing, created: false };
      const t = applyTransition(emptyTiming(), null, initial);
      this.insertInTx(ws, run, t);
      insertState(this.db, 'task_run_states', ws, run.id, initial);
      this.spans.taskRunChanged(ws, run.id, initial);
      return { run: { ...run, ...t, state: initial }, created: true };
    });
  }

  async rename(workspaceId: string, id: string, name: string, updated: number): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      const changed =
        this.db.stmt('UPDATE task_runs SET name = ?, updated = ? WHERE ws = ? AND id = ?').run(name, updated, ws, id)
          .changes > 0;
      if (changed) this.spans.taskRunChanged(ws, id);
      return changed;
    });
  }

  async writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { flowRunRunCount?: number },
  ): Promise<StateWriteResult<TaskRunRow>> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return { outcome: 'not_found' };
    return this.db.tx(() => {
      const run = this.getInTx(ws, id);
      if (!run) return { outcome: 'not_found' };
      if (run.state_id !== write.expectedStateId) return { outcome: 'conflict' };
      const updated = this.applyStateInTx(ws, run, write.state, nowMicros(), write.flowRunRunCount);
      return { outcome: 'written', run: updated, previous: run.state };
    });
  }

  /** Deletes a task run and what hangs off it; runs inside the caller's transaction. */
  deleteInTx(ws: number, ids: string[]): void {
    for (const id of ids) {
      this.db.stmt('DELETE FROM task_run_states WHERE ws = ? AND task_run_id = ?').run(ws, id);
      this.db.stmt('DELETE FROM artifacts WHERE ws = ? AND task_run_id = ?').run(ws, id);
      this.db
        .stmt('UPDATE flow_runs SET parent_task_run_id = NULL WHERE ws = ? AND parent_task_run_id = ?')
        .run(ws, id);
      this.db.stmt('DELETE FROM task_runs WHERE ws = ? AND id = ?').run(ws, id);
    }
    this.spans.removed(ws, ids);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      if (!this.db.stmt('SELECT 1 FROM task_runs WHERE ws = ? AND id = ?').get(ws, id)) return false;
      this.deleteInTx(ws, [id]);
      return true;
    });
  }

  async record(workspaceId: string, records: TaskRunEventRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ws = this.ws(workspaceId);
    this.db.tx(() => this.recordInTx(ws, records));
  }

  /**
   * The recorder projection (contract: `TaskRunStore.record`), for use inside any transaction on
   * this connection — the event store calls it from its append transaction. Planned for the whole
   * batch (ADR 0037): each run is inserted or rewritten once, however many of its events the batch
   * holds; spans of the batch's runs and their parents are updated once, at the end.
   */
  recordInTx(ws: number, records: TaskRunEventRecord[]): void {
    this.spans.batch(() => {
      const now = nowMicros();
      const plan = planRecording(records, this.storedKeys(ws, records), now);
      for (const w of plan.inserts) this.insertInTx(ws, w.run, w.timing);
      // One writer at a time: the plan compared with the stored states already.
      for (const w of plan.updates)
        updateColumns(this.db, 'task_runs', recordedTaskRunColumns(w.run, w.timing, now), ws, w.run.id);
      for (const s of plan.states) {
        insertState(this.db, 'task_run_states', ws, s.runId, s.state);
        this.spans.taskRunChanged(ws, s.runId, s.state);
      }
    });
  }

  /** The stored task runs with a record's id or key (an indexed lookup each: no round trips in process). */
  private storedKeys(ws: number, records: TaskRunEventRecord[]): StoredTaskRunKey[] {
    const cols = 'id, flow_run_id, task_key, dynamic_key, state_timestamp';
    const byId = this.db.stmt(`SELECT ${cols} FROM task_runs WHERE ws = ? AND id = ?`);
    const byKey = this.db.stmt(
      `SELECT ${cols} FROM task_runs WHERE ws = ? AND flow_run_id = ? AND task_key = ? AND dynamic_key = ?`,
    );
    const found = new Map<string, StoredTaskRunKey>();
    const seen = new Set<string>();
    for (const r of records) {
      const key = taskRunKey(r.flowRunId, r.taskRun.task_key, r.taskRun.dynamic_key);
      if (seen.has(r.taskRunId) && (key === undefined || seen.has(key))) continue;
      seen.add(r.taskRunId);
      if (key !== undefined) seen.add(key);
      for (const row of [
        byId.get(ws, r.taskRunId),
        key === undefined ? undefined : byKey.get(ws, r.flowRunId, r.taskRun.task_key, r.taskRun.dynamic_key),
      ] as (StoredTaskRunKey | undefined)[])
        if (row) found.set(row.id, row);
    }
    return [...found.values()];
  }
}
