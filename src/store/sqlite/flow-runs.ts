/** SQLite: flow runs, their state history, subflow linkage and the delete cascade. */
import { uuid7 } from '../../domain/ids.ts';
import { applyTransition, emptyTiming, type RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { FlowRunSort } from '../../domain/runs/filters.ts';
import type { FlowRunRow, NewFlowRun } from '../../domain/runs/flow-runs.ts';
import type { FlowRunPolicy } from '../../domain/runs/policies.ts';
import type { RunListQuery, RunListRow } from '../../domain/runs/run-list.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import { trackingTaskState } from '../../domain/runs/subflows.ts';
import { nowMicros } from '../../domain/time.ts';
import type { FlowRunPatch, FlowRunStore, StateWrite, StateWriteResult } from '../contract.ts';
import { flowRunColumns, flowRunPatchColumns, json, timingColumns } from '../shared/run-columns.ts';
import { readRunList } from '../sql/run-list.ts';
import { FLOW_RUN_SELECT, FLOW_RUNS, RunReads } from '../sql/run-reads.ts';
import type { Db } from './db.ts';
import { insertColumns, insertState, type Row, sqliteReader, toFlowRun, updateColumns } from './run-rows.ts';
import type { SqliteSpanProjection } from './span-projection.ts';
import type { SqliteTaskRuns } from './task-runs.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteFlowRuns extends RunReads<FlowRunSort, FlowRunRow> implements FlowRunStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly taskRuns: SqliteTaskRuns;
  private readonly spans: SqliteSpanProjection;

  constructor(db: Db, tenancy: SqliteTenancy, taskRuns: SqliteTaskRuns, spans: SqliteSpanProjection) {
    super(sqliteReader(db, tenancy), FLOW_RUNS, 'flow_run_states');
    this.db = db;
    this.tenancy = tenancy;
    this.taskRuns = taskRuns;
    this.spans = spans;
  }

  list(workspaceId: string, query: RunListQuery): Promise<{ rows: RunListRow[]; total: number }> {
    return readRunList(this.reader, workspaceId, query);
  }

  private getInTx(ws: number, id: string): FlowRunRow | undefined {
    const r = this.db.stmt(`${FLOW_RUN_SELECT} WHERE fr.ws = ? AND fr.id = ?`).get(ws, id) as Row | undefined;
    return r ? toFlowRun(r) : undefined;
  }

  /** The subflow's tracking task run takes a copy of the subflow's new state. */
  private linkParentInTx(ws: number, run: FlowRunRow, state: StateRow, now: number): void {
    if (run.parent_task_run_id === null) return;
    const task = this.taskRuns.getInTx(ws, run.parent_task_run_id);
    if (!task) return;
    this.taskRuns.applyStateInTx(ws, task, trackingTaskState(run.id, state, task, uuid7(), now), now);
  }

  async create(
    workspaceId: string,
    run: NewFlowRun,
    initial: StateRow,
  ): Promise<{ run: FlowRunRow; created: boolean }> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(() => {
      if (run.idempotency_key !== null) {
        const r = this.db
          .stmt(`${FLOW_RUN_SELECT} WHERE fr.ws = ? AND fr.flow_id = ? AND fr.idempotency_key = ?`)
          .get(ws, run.flow_id, run.idempotency_key) as Row | undefined;
        if (r) return { run: toFlowRun(r), created: false };
      }
      const t = applyTransition(emptyTiming(), null, initial);
      this.insertInTx(ws, run, t);
      insertState(this.db, 'flow_run_states', ws, run.id, initial);
      const created: FlowRunRow = { ...run, ...t, state: initial };
      this.linkParentInTx(ws, created, initial, nowMicros());
      this.spans.flowRunChanged(ws, run.id, initial);
      return { run: created, created: true };
    });
  }

  private insertInTx(ws: number, r: NewFlowRun, t: RunTiming): void {
    insertColumns(this.db, 'flow_runs', flowRunColumns(ws, r, t));
  }

  async update(workspaceId: string, id: string, patch: FlowRunPatch): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      const changed = updateColumns(this.db, 'flow_runs', flowRunPatchColumns(patch), ws, id).changes > 0;
      if (changed) this.spans.flowRunChanged(ws, id);
      return changed;
    });
  }

  async mergeLabels(
    workspaceId: string,
    id: string,
    labels: Record<string, unknown>,
    updated: number,
  ): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      const r = this.db.stmt('SELECT labels FROM flow_runs WHERE ws = ? AND id = ?').get(ws, id) as
        | { labels: string }
        | undefined;
      if (!r) return false;
      const merged = { ...JSON.parse(r.labels), ...labels };
      this.db
        .stmt('UPDATE flow_runs SET labels = ?, updated = ? WHERE ws = ? AND id = ?')
        .run(json(merged), updated, ws, id);
      this.spans.flowRunChanged(ws, id);
      return true;
    });
  }

  async writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { empiricalPolicy?: FlowRunPolicy },
  ): Promise<StateWriteResult<FlowRunRow>> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return { outcome: 'not_found' };
    return this.db.tx(() => {
      const run = this.getInTx(ws, id);
      if (!run) return { outcome: 'not_found' };
      if (run.state_id !== write.expectedStateId) return { outcome: 'conflict' };
      const now = nowMicros();
      const t = applyTransition(run, run.state, write.state);
      const policy = write.empiricalPolicy ?? run.empirical_policy;
      insertState(this.db, 'flow_run_states', ws, id, write.state);
      updateColumns(
        this.db,
        'flow_runs',
        { updated: now, ...timingColumns(t), empirical_policy: json(policy) },
        ws,
        id,
      );
      const updated: FlowRunRow = { ...run, ...t, updated: now, empirical_policy: policy, state: write.state };
      this.linkParentInTx(ws, updated, write.state, now);
      this.spans.flowRunChanged(ws, id, write.state);
      return { outcome: 'written', run: updated, previous: run.state };
    });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      if (!this.db.stmt('SELECT 1 FROM flow_runs WHERE ws = ? AND id = ?').get(ws, id)) return false;
      const taskIds = (
        this.db.stmt('SELECT id FROM task_runs WHERE ws = ? AND flow_run_id = ?').all(ws, id) as { id: string }[]
      ).map((r) => r.id);
      this.taskRuns.deleteInTx(ws, taskIds);
      this.db.stmt('DELETE FROM artifacts WHERE ws = ? AND flow_run_id = ?').run(ws, id);
      this.db.stmt('DELETE FROM flow_run_states WHERE ws = ? AND flow_run_id = ?').run(ws, id);
      this.db.stmt('DELETE FROM flow_runs WHERE ws = ? AND id = ?').run(ws, id);
      this.spans.removed(ws, [id]);
      return true;
    });
  }
}
