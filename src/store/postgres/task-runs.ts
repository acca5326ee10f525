/** PostgreSQL: task runs, their state history, and the task-run recorder's projection. */
import { applyTransition, emptyTiming, type RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { TaskRunSort } from '../../domain/runs/filters.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import { recordedRow, type TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun, TaskRunRow } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { StateWrite, StateWriteResult, TaskRunStore } from '../contract.ts';
import { recordedTaskRunColumns, taskRunColumns, timingColumns } from '../shared/run-columns.ts';
import { RunReads, TASK_RUN_SELECT, TASK_RUNS } from '../sql/run-reads.ts';
import type { PgDb, Queryable } from './db.ts';
import { insertColumns, insertState, pgReader, toTaskRun, updateColumns } from './run-rows.ts';
import type { PgSpanProjection } from './span-projection.ts';
import type { PgTenancy } from './tenancy.ts';

/** What identifies a task run: its id, or its (flow run, task key, dynamic key). */
type TaskRunKey = Pick<NewTaskRun, 'id' | 'flow_run_id' | 'task_key' | 'dynamic_key'>;

export class PgTaskRuns extends RunReads<TaskRunSort, TaskRunRow> implements TaskRunStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly spans: PgSpanProjection;

  constructor(db: PgDb, tenancy: PgTenancy, spans: PgSpanProjection) {
    super(pgReader(db, tenancy), TASK_RUNS, 'task_run_states');
    this.db = db;
    this.tenancy = tenancy;
    this.spans = spans;
  }

  private async ws(workspaceId: string): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return ws;
  }

  async getInTx(c: Queryable, ws: number, id: string, lock = false): Promise<TaskRunRow | undefined> {
    const r = await c.query(`${TASK_RUN_SELECT} WHERE tr.ws = $1 AND tr.id = $2${lock ? ' FOR UPDATE OF tr' : ''}`, [
      ws,
      id,
    ]);
    return r.rows[0] ? toTaskRun(r.rows[0]) : undefined;
  }

  private async getByKey(
    c: Queryable,
    ws: number,
    flowRunId: string,
    taskKey: string,
    dynamicKey: string,
  ): Promise<TaskRunRow | undefined> {
    const r = await c.query(
      `${TASK_RUN_SELECT} WHERE tr.ws = $1 AND tr.flow_run_id = $2 AND tr.task_key = $3 AND tr.dynamic_key = $4`,
      [ws, flowRunId, taskKey, dynamicKey],
    );
    return r.rows[0] ? toTaskRun(r.rows[0]) : undefined;
  }

  private async find(c: Queryable, ws: number, k: TaskRunKey) {
    return (
      (await this.getInTx(c, ws, k.id)) ??
      (k.flow_run_id !== null ? await this.getByKey(c, ws, k.flow_run_id, k.task_key, k.dynamic_key) : undefined)
    );
  }

  /** The id of the run with this id, else with this key (no state join: the recorder's lookup). */
  private async findId(c: Queryable, ws: number, k: TaskRunKey): Promise<string | undefined> {
    const r = await c.query(
      `SELECT id, 0 AS p FROM task_runs WHERE ws = $1 AND id = $2
       UNION ALL SELECT id, 1 AS p FROM task_runs WHERE ws = $1 AND flow_run_id = $3 AND task_key = $4 AND dynamic_key = $5
       ORDER BY p LIMIT 1`,
      [ws, k.id, k.flow_run_id, k.task_key, k.dynamic_key],
    );
    return r.rows[0]?.id as string | undefined;
  }

  /** Inserts unless a run with the id or key exists; true when this call inserted it. */
  private async insert(c: Queryable, ws: number, run: NewTaskRun, t: RunTiming): Promise<boolean> {
    const r = await insertColumns(c, 'task_runs', taskRunColumns(ws, run, t), 'ON CONFLICT DO NOTHING');
    return (r.rowCount ?? 0) > 0;
  }

  /** Makes `state` the run's current state (bookkeeping applied), inside the caller's transaction. */
  async applyStateInTx(
    c: Queryable,
    ws: number,
    run: TaskRunRow,
    state: StateRow,
    updated: number,
    flowRunRunCount?: number,
  ): Promise<TaskRunRow> {
    const t = applyTransition(run, run.state, state);
    const frrc = flowRunRunCount ?? run.flow_run_run_count;
    await insertState(c, 'task_run_states', ws, run.id, state);
    const u = updateColumns('task_runs', { updated, ...timingColumns(t), flow_run_run_count: frrc }, ws, run.id);
    await c.query(u.sql, u.params);
    await this.spans.taskRunChanged(c, ws, run.id, state);
    return { ...run, ...t, updated, flow_run_run_count: frrc, state };
  }

  async create(
    workspaceId: string,
    run: NewTaskRun,
    initial: StateRow,
  ): Promise<{ run: TaskRunRow; created: boolean }> {
    const ws = await this.ws(workspaceId);
    return this.db.tx(async (c) => {
      const existing = await this.find(c, ws, run);
      if (existing) return { run: existing, created: false };
      const t = applyTransition(emptyTiming(), null, initial);
      if (!(await this.insert(c, ws, run, t))) {
        // Another instance created it in between.
        const raced = await this.find(c, ws, run);
        if (raced) return { run: raced, created: false };
      }
      await insertState(c, 'task_run_states', ws, run.id, initial);
      await this.spans.taskRunChanged(c, ws, run.id, initial);
      return { run: { ...run, ...t, state: initial }, created: true };
    });
  }

  async rename(workspaceId: string, id: string, name: string, updated: number): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('UPDATE task_runs SET name = $1, updated = $2 WHERE ws = $3 AND id = $4', [
        name,
        updated,
        ws,
        id,
      ]);
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.taskRunChanged(c, ws, id);
      return changed;
    });
  }

  async writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { flowRunRunCount?: number },
  ): Promise<StateWriteResult<TaskRunRow>> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { outcome: 'not_found' };
    return this.db.tx(async (c) => {
      const run = await this.getInTx(c, ws, id, true);
      if (!run) return { outcome: 'not_found' };
      if (run.state_id !== write.expectedStateId) return { outcome: 'conflict' };
      const updated = await this.applyStateInTx(c, ws, run, write.state, nowMicros(), write.flowRunRunCount);
      return { outcome: 'written', run: updated, previous: run.state };
    });
  }

  /** Deletes task runs and what hangs off them, inside the caller's transaction. */
  async deleteInTx(c: Queryable, ws: number, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await c.query('DELETE FROM task_run_states WHERE ws = $1 AND task_run_id = ANY($2::text[])', [ws, ids]);
    await c.query('DELETE FROM artifacts WHERE ws = $1 AND task_run_id = ANY($2::text[])', [ws, ids]);
    await c.query(
      'UPDATE flow_runs SET parent_task_run_id = NULL WHERE ws = $1 AND parent_task_run_id = ANY($2::text[])',
      [ws, ids],
    );
    await c.query('DELETE FROM task_runs WHERE ws = $1 AND id = ANY($2::text[])', [ws, ids]);
    await this.spans.removed(c, ws, ids);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('SELECT 1 FROM task_runs WHERE ws = $1 AND id = $2 FOR UPDATE', [ws, id]);
      if (r.rows.length === 0) return false;
      await this.deleteInTx(c, ws, [id]);
      return true;
    });
  }

  async record(workspaceId: string, records: TaskRunEventRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ws = await this.ws(workspaceId);
    await this.db.tx((c) => this.recordInTx(c, ws, records));
  }

  /**
   * The recorder projection (contract: `TaskRunStore.record`) on a transaction's client — the event
   * store calls it from its append transaction. Safe against other instances recording the same
   * task run: inserts never fail on a duplicate, and the newer-state condition is in the UPDATE.
   */
  async recordInTx(c: Queryable, ws: number, records: TaskRunEventRecord[]): Promise<void> {
    // Spans of the batch's parents are updated once, at the end.
    await this.spans.batch(c, () => this.recordEach(c, ws, records));
  }

  private async recordEach(c: Queryable, ws: number, records: TaskRunEventRecord[]): Promise<void> {
    const now = nowMicros();
    for (const rec of records) {
      const { run, timing } = recordedRow(rec, rec.taskRunId, now);
      let runId = await this.findId(c, ws, run);
      let inserted = false;
      if (runId === undefined) {
        inserted = await this.insert(c, ws, run, timing);
        runId = inserted ? rec.taskRunId : await this.findId(c, ws, run);
        if (runId === undefined) continue;
      }
      if (!inserted) {
        // The newest state wins: the row changes only when the recorded state is later than its own.
        const u = updateColumns('task_runs', recordedTaskRunColumns(run, timing, now), ws, runId);
        await c.query(`${u.sql} AND (state_timestamp IS NULL OR state_timestamp < $${u.params.length + 1})`, [
          ...u.params,
          timing.state_timestamp,
        ]);
      }
      const state: StateRow = { ...rec.state, state_details: { ...rec.state.state_details, task_run_id: runId } };
      await insertState(c, 'task_run_states', ws, runId, state);
      await this.spans.taskRunChanged(c, ws, runId, state);
    }
  }
}
