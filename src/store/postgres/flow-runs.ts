/** PostgreSQL: flow runs, their state history, subflow linkage and the delete cascade. */
import { uuid7 } from '../../domain/ids.ts';
import { applyTransition, emptyTiming } from '../../domain/runs/bookkeeping.ts';
import type { FlowRunSort, RunFilterSet, RunQuery } from '../../domain/runs/filters.ts';
import type { FlowRunRow, NewFlowRun } from '../../domain/runs/flow-runs.ts';
import type { FlowRunPolicy } from '../../domain/runs/policies.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import { trackingTaskState } from '../../domain/runs/subflows.ts';
import { nowMicros } from '../../domain/time.ts';
import type { FlowRunPatch, FlowRunStore, StateWrite, StateWriteResult } from '../contract.ts';
import { flowRunOrder, flowRunWhere } from '../sql/run-filters.ts';
import type { PgDb, Queryable, Row } from './db.ts';
import { pgDialect } from './dialect.ts';
import { FLOW_RUN_SELECT, insertState, json, readState, readStates, toFlowRun } from './run-rows.ts';
import type { PgSpanProjection } from './span-projection.ts';
import type { PgTaskRuns } from './task-runs.ts';
import type { PgTenancy } from './tenancy.ts';

const INSERT = `INSERT INTO flow_runs (ws, id, created, updated, name, flow_id, state_id, state_type, state_name,
  state_timestamp, deployment_id, deployment_version, work_queue_id, work_queue_name, work_pool_id, work_pool_name,
  flow_version, parameters, idempotency_key, context, empirical_policy, tags, labels, parent_task_run_id, run_count,
  expected_start_time, next_scheduled_start_time, start_time, end_time, total_run_time, auto_scheduled,
  infrastructure_document_id, infrastructure_pid, created_by, job_variables)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::jsonb, $19, $20::jsonb,
  $21::jsonb, $22::jsonb, $23::jsonb, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34::jsonb, $35::jsonb)
  ON CONFLICT DO NOTHING`;

const UPDATE_TIMING = `UPDATE flow_runs SET updated = $1, state_id = $2, state_type = $3, state_name = $4, state_timestamp = $5,
  run_count = $6, expected_start_time = $7, next_scheduled_start_time = $8, start_time = $9, end_time = $10,
  total_run_time = $11, empirical_policy = $12::jsonb WHERE ws = $13 AND id = $14`;

const PATCHABLE = ['name', 'flow_version', 'parameters', 'empirical_policy', 'tags', 'infrastructure_pid', 'job_variables'] as const;
const JSON_FIELDS = new Set(['parameters', 'empirical_policy', 'tags', 'job_variables']);

export class PgFlowRuns implements FlowRunStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly taskRuns: PgTaskRuns;
  private readonly spans: PgSpanProjection;

  constructor(db: PgDb, tenancy: PgTenancy, taskRuns: PgTaskRuns, spans: PgSpanProjection) {
    this.db = db;
    this.tenancy = tenancy;
    this.taskRuns = taskRuns;
    this.spans = spans;
  }

  private async getOn(c: Queryable, ws: number, id: string, lock = false): Promise<FlowRunRow | undefined> {
    const r = await c.query(`${FLOW_RUN_SELECT} WHERE fr.ws = $1 AND fr.id = $2${lock ? ' FOR UPDATE OF fr' : ''}`, [ws, id]);
    return r.rows[0] ? toFlowRun(r.rows[0]) : undefined;
  }

  /** The subflow's tracking task run takes a copy of the subflow's new state. */
  private async linkParent(c: Queryable, ws: number, run: FlowRunRow, state: StateRow, now: number): Promise<void> {
    if (run.parent_task_run_id === null) return;
    const task = await this.taskRuns.getOn(c, ws, run.parent_task_run_id, true);
    if (!task) return;
    await this.taskRuns.applyStateOn(c, ws, task, trackingTaskState(run.id, state, task, uuid7(), now), now);
  }

  async create(workspaceId: string, run: NewFlowRun, initial: StateRow): Promise<{ run: FlowRunRow; created: boolean }> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(async (c) => {
      const t = applyTransition(emptyTiming(), null, initial);
      const r = await c.query(INSERT, [
        ws,
        run.id,
        run.created,
        run.updated,
        run.name,
        run.flow_id,
        t.state_id,
        t.state_type,
        t.state_name,
        t.state_timestamp,
        run.deployment_id,
        run.deployment_version,
        run.work_queue_id,
        run.work_queue_name,
        run.work_pool_id,
        run.work_pool_name,
        run.flow_version,
        json(run.parameters),
        run.idempotency_key,
        json(run.context),
        json(run.empirical_policy),
        json(run.tags),
        json(run.labels),
        run.parent_task_run_id,
        t.run_count,
        t.expected_start_time,
        t.next_scheduled_start_time,
        t.start_time,
        t.end_time,
        t.total_run_time,
        run.auto_scheduled,
        run.infrastructure_document_id,
        run.infrastructure_pid,
        run.created_by === null ? null : json(run.created_by),
        run.job_variables === null ? null : json(run.job_variables),
      ]);
      if ((r.rowCount ?? 0) === 0) {
        // The idempotency key is taken (possibly by another instance, just now).
        const existing = await c.query(`${FLOW_RUN_SELECT} WHERE fr.ws = $1 AND fr.flow_id = $2 AND fr.idempotency_key = $3`, [
          ws,
          run.flow_id,
          run.idempotency_key,
        ]);
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

  async get(workspaceId: string, id: string): Promise<FlowRunRow | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : this.getOn(this.db.pool, ws, id);
  }

  async update(workspaceId: string, id: string, patch: FlowRunPatch): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    const params: unknown[] = [patch.updated];
    const sets = ['updated = $1'];
    for (const k of PATCHABLE) {
      const v = patch[k];
      if (v === undefined) continue;
      params.push(JSON_FIELDS.has(k) ? json(v) : v);
      sets.push(`${k} = $${params.length}${JSON_FIELDS.has(k) ? '::jsonb' : ''}`);
    }
    params.push(ws, id);
    return this.db.tx(async (c) => {
      const r = await c.query(`UPDATE flow_runs SET ${sets.join(', ')} WHERE ws = $${params.length - 1} AND id = $${params.length}`, params);
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.flowRunChanged(c, ws, id);
      return changed;
    });
  }

  async mergeLabels(workspaceId: string, id: string, labels: Record<string, unknown>, updated: number): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('UPDATE flow_runs SET labels = labels || $1::jsonb, updated = $2 WHERE ws = $3 AND id = $4', [json(labels), updated, ws, id]);
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.flowRunChanged(c, ws, id);
      return changed;
    });
  }

  async writeState(workspaceId: string, id: string, write: StateWrite & { empiricalPolicy?: FlowRunPolicy }): Promise<StateWriteResult<FlowRunRow>> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { outcome: 'not_found' };
    return this.db.tx(async (c) => {
      const run = await this.getOn(c, ws, id, true);
      if (!run) return { outcome: 'not_found' };
      if (run.state_id !== write.expectedStateId) return { outcome: 'conflict' };
      const now = nowMicros();
      const t = applyTransition(run, run.state, write.state);
      const policy = write.empiricalPolicy ?? run.empirical_policy;
      await insertState(c, 'flow_run_states', ws, id, write.state);
      await c.query(UPDATE_TIMING, [
        now,
        t.state_id,
        t.state_type,
        t.state_name,
        t.state_timestamp,
        t.run_count,
        t.expected_start_time,
        t.next_scheduled_start_time,
        t.start_time,
        t.end_time,
        t.total_run_time,
        json(policy),
        ws,
        id,
      ]);
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
      await this.taskRuns.deleteOn(
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

  async filter(workspaceId: string, query: RunQuery<FlowRunSort>): Promise<FlowRunRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: unknown[] = [ws];
    const where = flowRunWhere(pgDialect, query.filters, params);
    const order = flowRunOrder(pgDialect, query.sort, query.now, params);
    params.push(query.limit, query.offset);
    const n = params.length;
    const sql = `${FLOW_RUN_SELECT} WHERE fr.ws = $1${where ? ` AND ${where}` : ''} ORDER BY ${order} LIMIT $${n - 1} OFFSET $${n}`;
    return (await this.db.query<Row>(sql, params)).map(toFlowRun);
  }

  async count(workspaceId: string, filters: RunFilterSet): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const params: unknown[] = [ws];
    const where = flowRunWhere(pgDialect, filters, params);
    const row = await this.db.one<{ n: number }>(`SELECT count(*) AS n FROM flow_runs fr WHERE fr.ws = $1${where ? ` AND ${where}` : ''}`, params);
    return row?.n ?? 0;
  }

  async states(workspaceId: string, flowRunId: string): Promise<StateRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? [] : readStates(this.db.pool, 'flow_run_states', ws, flowRunId);
  }

  async getState(workspaceId: string, stateId: string): Promise<StateRow | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : readState(this.db.pool, 'flow_run_states', ws, stateId);
  }
}
