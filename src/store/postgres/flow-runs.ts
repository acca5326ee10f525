/** PostgreSQL: flow runs, their state history, subflow linkage and the delete cascade. */
import { uuid7 } from '../../domain/ids.ts';
import { applyTransition, emptyTiming } from '../../domain/runs/bookkeeping.ts';
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
import type { PgDb, Queryable } from './db.ts';
import { insertColumns, insertState, pgReader, toFlowRun, updateColumns } from './run-rows.ts';
import type { PgSpanProjection } from './span-projection.ts';
import type { PgTaskRuns } from './task-runs.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgFlowRuns extends RunReads<FlowRunSort, FlowRunRow> implements FlowRunStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly taskRuns: PgTaskRuns;
  private readonly spans: PgSpanProjection;

  constructor(db: PgDb, tenancy: PgTenancy, taskRuns: PgTaskRuns, spans: PgSpanProjection) {
    super(pgReader(db, tenancy), FLOW_RUNS, 'flow_run_states');
    this.db = db;
    this.tenancy = tenancy;
    this.taskRuns = taskRuns;
    this.spans = spans;
  }

  list(workspaceId: string, query: RunListQuery): Promise<{ rows: RunListRow[]; total: number }> {
    return readRunList(this.reader, workspaceId, query);
  }

  private async getInTx(c: Queryable, ws: number, id: string, lock = false): Promise<FlowRunRow | undefined> {
    const r = await c.query(`${FLOW_RUN_SELECT} WHERE fr.ws = $1 AND fr.id = $2${lock ? ' FOR UPDATE OF fr' : ''}`, [
      ws,
      id,
    ]);
    return r.rows[0] ? toFlowRun(r.rows[0]) : undefined;
  }

  /** The subflow's tracking task run takes a copy of the subflow's new state. */
  private async linkParent(c: Queryable, ws: number, run: FlowRunRow, state: StateRow, now: number): Promise<void> {
    if (run.parent_task_run_id === null) return;
    const task = await this.taskRuns.getInTx(c, ws, run.parent_task_run_id, true);
    if (!task) return;
    await this.taskRuns.applyStateInTx(c, ws, task, trackingTaskState(run.id, state, task, uuid7(), now), now);
  }

  async create(
    workspaceId: string,
    run: NewFlowRun,
    initial: StateRow,
  ): Promise<{ run: FlowRunRow; created: boolean }> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(async (c) => {
      const t = applyTransition(emptyTiming(), null, initial);
      const r = await insertColumns(c, 'flow_runs', flowRunColumns(ws, run, t), 'ON CONFLICT DO NOTHING');
      if ((r.rowCount ?? 0) === 0) {
        // The idempotency key is taken (possibly by another instance, just now).
        const existing = await c.query(
          `${FLOW_RUN_SELECT} WHERE fr.ws = $1 AND fr.flow_id = $2 AND fr.idempotency_key = $3`,
          [ws, run.flow_id, run.idempotency_key],
        );
        if (existing.rows[0]) return { run: toFlowRun(existing.rows[0]), created: false };
        throw new Error(`flow run ${run.id} could not be inserted`);
      }
      await insertState(c, 'flow_run_states', ws, run.id, initial);
      const created: FlowRunRow = { ...run, ...t, state: initial };
      await this.linkParent(c, ws, created, initial, nowMicros());
      await this.spans.flowRunChanged(c, ws, run.id, initial);
      return { run: created, created: true };
    });
  }

  async update(workspaceId: string, id: string, patch: FlowRunPatch): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    const u = updateColumns('flow_runs', flowRunPatchColumns(patch), ws, id);
    return this.db.tx(async (c) => {
      const r = await c.query(u.sql, u.params);
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.flowRunChanged(c, ws, id);
      return changed;
    });
  }

  async mergeLabels(
    workspaceId: string,
    id: string,
    labels: Record<string, unknown>,
    updated: number,
  ): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query(
        'UPDATE flow_runs SET labels = labels || $1::jsonb, updated = $2 WHERE ws = $3 AND id = $4',
        [json(labels), updated, ws, id],
      );
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.flowRunChanged(c, ws, id);
      return changed;
    });
  }

  async writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { empiricalPolicy?: FlowRunPolicy },
  ): Promise<StateWriteResult<FlowRunRow>> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { outcome: 'not_found' };
    return this.db.tx(async (c) => {
      const run = await this.getInTx(c, ws, id, true);
      if (!run) return { outcome: 'not_found' };
      if (run.state_id !== write.expectedStateId) return { outcome: 'conflict' };
      const now = nowMicros();
      const t = applyTransition(run, run.state, write.state);
      const policy = write.empiricalPolicy ?? run.empirical_policy;
      await insertState(c, 'flow_run_states', ws, id, write.state);
      const u = updateColumns(
        'flow_runs',
        { updated: now, ...timingColumns(t), empirical_policy: json(policy) },
        ws,
        id,
      );
      await c.query(u.sql, u.params);
      const updated: FlowRunRow = { ...run, ...t, updated: now, empirical_policy: policy, state: write.state };
      await this.linkParent(c, ws, updated, write.state, now);
      await this.spans.flowRunChanged(c, ws, id, write.state);
      return { outcome: 'written', run: updated, previous: run.state };
    });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('SELECT 1 FROM flow_runs WHERE ws = $1 AND id = $2 FOR UPDATE', [ws, id]);
      if (r.rows.length === 0) return false;
      const tasks = await c.query('SELECT id FROM task_runs WHERE ws = $1 AND flow_run_id = $2', [ws, id]);
      await this.taskRuns.deleteInTx(
        c,
        ws,
        tasks.rows.map((x) => x.id as string),
      );
      await c.query('DELETE FROM artifacts WHERE ws = $1 AND flow_run_id = $2', [ws, id]);
      await c.query('DELETE FROM flow_run_states WHERE ws = $1 AND flow_run_id = $2', [ws, id]);
      await c.query('DELETE FROM flow_runs WHERE ws = $1 AND id = $2', [ws, id]);
      await this.spans.removed(c, ws, [id]);
      return true;
    });
  }
}
