/** SQLite: task runs, their state history, and the task-run recorder's projection. */
import { applyTransition, emptyTiming, type RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { TaskRunSort } from '../../domain/runs/filters.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import { recordedRow, type TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun, TaskRunRow } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { StateWrite, StateWriteResult, TaskRunStore } from '../contract.ts';
import { recordedTaskRunColumns, taskRunColumns, timingColumns } from '../shared/run-columns.ts';
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
   * this connection — the event store calls it from its append transaction.
   */
  recordInTx(ws: number, records: TaskRunEventRecord[]): void {
    // Spans of the batch's parents are updated once, at the end.
    this.spans.batch(() => this.recordEach(ws, records));
  }

  private recordEach(ws: number, records: TaskRunEventRecord[]): void {
    const now = nowMicros();
    const byId = this.db.stmt('SELECT id, state_timestamp FROM task_runs WHERE ws = ? AND id = ?');
    const byKey = this.db.stmt(
      'SELECT id, state_timestamp FROM task_runs WHERE ws = ? AND flow_run_id = ? AND task_key = ? AND dynamic_key = ?',
    );
    for (const rec of records) {
      const tr = rec.taskRun;
      const row = (byId.get(ws, rec.taskRunId) ??
        (rec.flowRunId !== null ? byKey.get(ws, rec.flowRunId, tr.task_key, tr.dynamic_key) : undefined)) as
        | { id: string; state_timestamp: number | null }
        | undefined;
      const runId = row?.id ?? rec.taskRunId;
      const state: StateRow = { ...rec.state, state_details: { ...rec.state.state_details, task_run_id: runId } };
      const { run, timing } = recordedRow(rec, runId, now);
      if (!row) this.insertInTx(ws, run, timing);
      else if (row.state_timestamp === null || state.timestamp > row.state_timestamp) {
        updateColumns(this.db, 'task_runs', recordedTaskRunColumns(run, timing, now), ws, runId);
      }
      insertState(this.db, 'task_run_states', ws, runId, state);
      this.spans.taskRunChanged(ws, runId, state);
    }
  }
}
