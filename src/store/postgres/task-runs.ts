/** PostgreSQL: task runs, their state history, and the task-run recorder's projection. */
import { applyTransition, emptyTiming, type RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { TaskRunSort } from '../../domain/runs/filters.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import type { TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun, TaskRunRow } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { StateWrite, StateWriteResult, TaskRunStore } from '../contract.ts';
import {
  RUN_JSON_COLUMNS,
  recordedTaskRunColumns,
  stateColumns,
  taskRunColumns,
  timingColumns,
} from '../shared/run-columns.ts';
import { planRecording, type StoredTaskRunKey } from '../shared/task-run-batch.ts';
import { RunReads, TASK_RUN_SELECT, TASK_RUNS } from '../sql/run-reads.ts';
import type { PgDb, Queryable } from './db.ts';
import { insertRows, updateRows } from './recordset.ts';
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
   * store calls it from its append transaction. Set-based (ADR 0037): one read of every task run
   * the batch touches, one insert, one update and one state insert, whatever the batch size. Safe
   * against other instances recording the same task runs: inserts never fail on a duplicate (a run
   * another instance inserted meanwhile is planned again, now as stored), and the newer-state
   * condition is in the UPDATE.
   */
  async recordInTx(c: Queryable, ws: number, records: TaskRunEventRecord[]): Promise<void> {
    // Spans of the batch's runs and their parents are updated once, at the end.
    await this.spans.batch(c, async () => {
      const now = nowMicros();
      let plan = planRecording(records, await this.storedKeys(c, ws, records), now);
      for (let attempt = 1; plan.inserts.length > 0; attempt++) {
        const r = await insertRows(
          c,
          'task_runs',
          plan.inserts.map((w) => taskRunColumns(ws, w.run, w.timing)),
          'ON CONFLICT DO NOTHING',
          { json: RUN_JSON_COLUMNS },
        );
        if (r.rowCount === plan.inserts.length) break;
        if (attempt === 3) throw new Error('task runs kept appearing under the recorder (3 attempts)');
        plan = planRecording(records, await this.storedKeys(c, ws, records), now);
      }
      if (plan.updates.length)
        await updateRows(
          c,
          'task_runs',
          plan.updates.map((w) => ({ ws, id: w.run.id, ...recordedTaskRunColumns(w.run, w.timing, now) })),
          ['ws', 'id'],
          // The newest state wins: a row changes only when the recorded state is later than its own.
          { json: RUN_JSON_COLUMNS, where: '(t.state_timestamp IS NULL OR t.state_timestamp < v.state_timestamp)' },
        );
      await insertRows(
        c,
        'task_run_states',
        plan.states.map((s) => stateColumns(ws, 'task_run_id', s.runId, s.state)),
        'ON CONFLICT (ws, id) DO NOTHING',
        { json: RUN_JSON_COLUMNS },
      );
      for (const s of plan.states) await this.spans.taskRunChanged(c, ws, s.runId, s.state);
    });
  }

  /** The stored task runs with a record's id or key, in one statement. */
  private async storedKeys(c: Queryable, ws: number, records: TaskRunEventRecord[]): Promise<StoredTaskRunKey[]> {
    const keyed = records.filter((r) => r.flowRunId !== null);
    const r = await c.query(
      `SELECT id, flow_run_id, task_key, dynamic_key, state_timestamp FROM task_runs
        WHERE ws = $1 AND (id = ANY($2::text[])
          OR (flow_run_id, task_key, dynamic_key) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::text[])))`,
      [
        ws,
        records.map((x) => x.taskRunId),
        keyed.map((x) => x.flowRunId),
        keyed.map((x) => x.taskRun.task_key),
        keyed.map((x) => x.taskRun.dynamic_key),
      ],
    );
    return r.rows as StoredTaskRunKey[];
  }
}
