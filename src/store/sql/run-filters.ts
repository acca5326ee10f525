/**
 * Run filters and sorts → SQL, shared by every engine (dialect differences in `SqlDialect`).
 * Table aliases: `f` flows, `fr` flow_runs, `tr` task_runs, `a` artifacts; every table has the
 * workspace key column `ws`. Fragments push their parameters in text order, so positional (`?`)
 * and numbered (`$n`) placeholders both work.
 *
 * Semantics (Prefect's `S/schemas/filters.py`): a filter object combines its conditions with its
 * `operator`; an object without conditions matches everything; `any_: []` matches nothing;
 * `before_`/`after_` are inclusive. Filters on another resource are existence conditions: a flow
 * run matches `flows` when its flow does, `task_runs` when one of its task runs does, and
 * `deployments` / `work_pools` / `work_pool_queues` only when it has a deployment / work pool /
 * work queue at all (Sightline stores no such objects, see `domain/runs/filters.ts`).
 */
import type {
  ArtifactFilter,
  ArtifactSort,
  DeploymentFilter,
  FlowFilter,
  FlowRunFilter,
  FlowRunSort,
  FlowSort,
  RunFilterSet,
  TaskRunFilter,
  TaskRunSort,
  WorkPoolFilter,
  WorkQueueFilter,
} from '../../domain/runs/filters.ts';
import type { SqlDialect } from './dialect.ts';

type P = unknown[];

class Conds {
  readonly parts: string[] = [];
  readonly d: SqlDialect;
  readonly params: P;

  constructor(d: SqlDialect, params: P) {
    this.d = d;
    this.params = params;
  }

  add(sql: string | undefined): void {
    if (sql) this.parts.push(sql);
  }

  in(col: string, values: readonly unknown[] | undefined, negate = false): void {
    if (values === undefined) return;
    if (values.length === 0) {
      this.parts.push(negate ? this.d.true : this.d.false);
      return;
    }
    // NOT IN leaves NULLs out, as SQL (and Prefect) does.
    this.parts.push(this.d.inList(col, values, this.params, negate));
  }

  cmp(col: string, op: '<=' | '>=', v: unknown): void {
    if (v === undefined) return;
    this.parts.push(`${col} ${op} ${this.d.param(this.params, v)}`);
  }

  isNull(col: string, v: boolean | undefined): void {
    if (v === undefined) return;
    this.parts.push(v ? `${col} IS NULL` : `${col} IS NOT NULL`);
  }

  like(col: string, text: string | undefined): void {
    if (text === undefined) return;
    this.parts.push(this.d.containsCI(col, text, this.params));
  }

  /** A nested filter object: its own conditions joined by its operator. */
  nested(op: 'and_' | 'or_' | undefined, build: (c: Conds) => void): void {
    const c = new Conds(this.d, this.params);
    build(c);
    const sql = c.join(op);
    if (sql) this.parts.push(sql);
  }

  /** Undefined when there is no condition (matches everything). */
  join(op: 'and_' | 'or_' | undefined): string | undefined {
    if (this.parts.length === 0) return undefined;
    if (this.parts.length === 1) return this.parts[0];
    return `(${this.parts.map((p) => `(${p})`).join(op === 'or_' ? ' OR ' : ' AND ')})`;
  }
}

function tags(
  c: Conds,
  col: string,
  f: { operator?: 'and_' | 'or_'; all_?: string[]; any_?: string[]; is_null_?: boolean },
): void {
  c.nested(f.operator, (t) => {
    if (f.all_ !== undefined) t.add(f.all_.length ? t.d.arrayHasAll(col, f.all_, t.params) : t.d.true);
    if (f.any_ !== undefined) t.add(t.d.arrayHasAny(col, f.any_, t.params));
    if (f.is_null_ !== undefined) t.add(f.is_null_ ? t.d.arrayEmpty(col) : `NOT ${t.d.arrayEmpty(col)}`);
  });
}

function createdBy(
  c: Conds,
  col: string,
  f: { operator?: 'and_' | 'or_'; id_?: string[]; type_?: string[]; is_null_?: boolean } | undefined,
) {
  if (!f) return;
  c.nested(f.operator, (x) => {
    x.in(x.d.jsonText(col, 'id'), f.id_);
    x.in(x.d.jsonText(col, 'type'), f.type_);
    x.isNull(col, f.is_null_);
  });
}

function flowFilterSql(c: Conds, f: FlowFilter): void {
  c.nested(f.operator, (x) => {
    if (f.id) {
      x.in('f.id', f.id.any_);
      x.in('f.id', f.id.not_any_, true);
    }
    // No flow has a deployment in Sightline.
    if (f.deployment?.is_null_ === false) x.add(x.d.false);
    if (f.name) {
      x.in('f.name', f.name.any_);
      x.like('f.name', f.name.like_);
    }
    if (f.tags) tags(x, 'f.tags', f.tags);
    // Flows have no creator or updater in Sightline: is_null_ true matches all, ids and types none.
    for (const by of [f.created_by, f.updated_by]) {
      if (!by) continue;
      x.nested(by.operator, (y) => {
        if (by.id_ !== undefined) y.add(y.d.false);
        if (by.type_ !== undefined) y.add(y.d.false);
        if (by.is_null_ === false) y.add(y.d.false);
      });
    }
  });
}

function flowRunFilterSql(c: Conds, f: FlowRunFilter): void {
  c.nested(f.operator, (x) => {
    if (f.id) {
      x.in('fr.id', f.id.any_);
      x.in('fr.id', f.id.not_any_, true);
    }
    if (f.name) {
      x.in('fr.name', f.name.any_);
      x.like('fr.name', f.name.like_);
    }
    if (f.tags) tags(x, 'fr.tags', f.tags);
    if (f.flow_id) x.nested(f.flow_id.operator, (y) => y.in('fr.flow_id', f.flow_id!.any_));
    if (f.deployment_id) {
      const g = f.deployment_id;
      x.nested(g.operator, (y) => {
        y.in('fr.deployment_id', g.any_);
        y.isNull('fr.deployment_id', g.is_null_);
      });
    }
    // Deployment versions are not stored: a version condition matches no run.
    if (f.deployment_version_id) x.add(x.d.false);
    if (f.deployment_version_info) x.add(x.d.false);
    if (f.work_queue_id) {
      const g = f.work_queue_id;
      x.nested(g.operator, (y) => {
        y.in('fr.work_queue_id', g.any_);
        y.isNull('fr.work_queue_id', g.is_null_);
      });
    }
    if (f.work_queue_name) {
      const g = f.work_queue_name;
      x.nested(g.operator, (y) => {
        y.in('fr.work_queue_name', g.any_);
        y.isNull('fr.work_queue_name', g.is_null_);
      });
    }
    if (f.state) {
      const s = f.state;
      x.nested(s.operator, (y) => {
        if (s.type) {
          y.in('fr.state_type', s.type.any_);
          y.in('fr.state_type', s.type.not_any_, true);
        }
        if (s.name) {
          y.in('fr.state_name', s.name.any_);
          y.in('fr.state_name', s.name.not_any_, true);
        }
      });
    }
    if (f.flow_version) x.in('fr.flow_version', f.flow_version.any_);
    timeRange(x, 'fr.start_time', f.start_time);
    timeRange(x, 'fr.expected_start_time', f.expected_start_time);
    timeRange(x, 'fr.next_scheduled_start_time', f.next_scheduled_start_time);
    timeRange(x, 'fr.end_time', f.end_time);
    if (f.parent_flow_run_id) {
      const g = f.parent_flow_run_id;
      x.nested(g.operator, (y) => {
        if (g.any_ === undefined) return;
        if (g.any_.length === 0) return y.add(y.d.false);
        const inParents = y.d.inList('ptr.flow_run_id', g.any_, y.params);
        y.add(
          `EXISTS (SELECT 1 FROM task_runs ptr WHERE ptr.ws = fr.ws AND ptr.id = fr.parent_task_run_id AND ${inParents})`,
        );
      });
    }
    if (f.parent_task_run_id) {
      const g = f.parent_task_run_id;
      x.nested(g.operator, (y) => {
        y.in('fr.parent_task_run_id', g.any_);
        y.isNull('fr.parent_task_run_id', g.is_null_);
      });
    }
    if (f.idempotency_key) {
      x.in('fr.idempotency_key', f.idempotency_key.any_);
      x.in('fr.idempotency_key', f.idempotency_key.not_any_, true);
    }
    createdBy(x, 'fr.created_by', f.created_by);
  });
}

function timeRange(
  c: Conds,
  col: string,
  f: { before_?: number; after_?: number; is_null_?: boolean } | undefined,
): void {
  if (!f) return;
  c.cmp(col, '<=', f.before_);
  c.cmp(col, '>=', f.after_);
  c.isNull(col, f.is_null_);
}

function taskRunFilterSql(c: Conds, f: TaskRunFilter): void {
  c.nested(f.operator, (x) => {
    if (f.id) x.in('tr.id', f.id.any_);
    if (f.name) {
      x.in('tr.name', f.name.any_);
      x.like('tr.name', f.name.like_);
    }
    if (f.tags) tags(x, 'tr.tags', f.tags);
    if (f.state) {
      const s = f.state;
      x.nested(s.operator, (y) => {
        if (s.type) y.in('tr.state_type', s.type.any_);
        if (s.name) y.in('tr.state_name', s.name.any_);
      });
    }
    timeRange(x, 'tr.start_time', f.start_time);
    timeRange(x, 'tr.end_time', f.end_time);
    timeRange(x, 'tr.expected_start_time', f.expected_start_time);
    if (f.subflow_runs?.exists_ !== undefined) {
      const sql = 'EXISTS (SELECT 1 FROM flow_runs sfr WHERE sfr.ws = tr.ws AND sfr.parent_task_run_id = tr.id)';
      x.add(f.subflow_runs.exists_ ? sql : `NOT ${sql}`);
    }
    if (f.flow_run_id) {
      const g = f.flow_run_id;
      x.nested(g.operator, (y) => {
        if (g.is_null_) y.add('tr.flow_run_id IS NULL');
        else y.in('tr.flow_run_id', g.any_);
      });
    }
  });
}

function deploymentFilterSql(c: Conds, f: DeploymentFilter): void {
  c.add('fr.deployment_id IS NOT NULL');
  c.nested(f.operator, (x) => {
    if (f.id) {
      x.in('fr.deployment_id', f.id.any_);
      x.in('fr.deployment_id', f.id.not_any_, true);
    }
    if (f.flow_id) x.in('fr.flow_id', f.flow_id.any_);
    const unknowable = [
      f.branch,
      f.base,
      f.root,
      f.name,
      f.is_schedule_active,
      f.paused,
      f.tags,
      f.work_queue_name,
      f.concurrency_limit,
      f.work_queue_id,
      f.status,
      f.flow_or_deployment_name,
      f.created_by,
      f.updated_by,
    ];
    if (unknowable.some((v) => v !== undefined)) x.add(x.d.false);
  });
}

function workPoolFilterSql(c: Conds, f: WorkPoolFilter): void {
  c.add('fr.work_pool_name IS NOT NULL');
  c.nested(f.operator, (x) => {
    if (f.id) x.in('fr.work_pool_id', f.id.any_);
    if (f.name) {
      x.in('fr.work_pool_name', f.name.any_);
      x.like('fr.work_pool_name', f.name.like_);
    }
    if ([f.type, f.paused, f.status, f.created_by, f.updated_by].some((v) => v !== undefined)) x.add(x.d.false);
  });
}

function workQueueFilterSql(c: Conds, f: WorkQueueFilter): void {
  c.add('fr.work_queue_name IS NOT NULL');
  c.nested(f.operator, (x) => {
    if (f.id) x.in('fr.work_queue_id', f.id.any_);
    if (f.name) {
      const g = f.name;
      x.in('fr.work_queue_name', g.any_);
      if (g.startswith_ !== undefined) {
        x.nested('or_', (y) => {
          if (g.startswith_!.length === 0) y.add(y.d.false);
          for (const p of g.startswith_!) y.add(y.d.startsWith('fr.work_queue_name', p, y.params));
        });
      }
    }
    if ([f.created_by, f.updated_by].some((v) => v !== undefined)) x.add(x.d.false);
  });
}

/** Conditions on `fr` from every filter object of the set. */
function flowRunConds(c: Conds, s: RunFilterSet): void {
  if (s.flow_runs) flowRunFilterSql(c, s.flow_runs);
  if (s.flows) {
    const inner = new Conds(c.d, c.params);
    flowFilterSql(inner, s.flows);
    c.add(`EXISTS (SELECT 1 FROM flows f WHERE f.ws = fr.ws AND f.id = fr.flow_id${andSql(inner.join('and_'))})`);
  }
  if (s.task_runs) {
    const inner = new Conds(c.d, c.params);
    taskRunFilterSql(inner, s.task_runs);
    c.add(
      `EXISTS (SELECT 1 FROM task_runs tr WHERE tr.ws = fr.ws AND tr.flow_run_id = fr.id${andSql(inner.join('and_'))})`,
    );
  }
  if (s.deployments) deploymentFilterSql(c, s.deployments);
  if (s.work_pools) workPoolFilterSql(c, s.work_pools);
  if (s.work_pool_queues) workQueueFilterSql(c, s.work_pool_queues);
}

function andSql(sql: string | undefined): string {
  return sql ? ` AND ${sql}` : '';
}

/** WHERE conditions (after `ws = ?`) for `flow_runs fr`; undefined when none. */
export function flowRunWhere(d: SqlDialect, s: RunFilterSet, params: P): string | undefined {
  const c = new Conds(d, params);
  flowRunConds(c, s);
  return c.join('and_');
}

/** WHERE conditions for `task_runs tr`. */
export function taskRunWhere(d: SqlDialect, s: RunFilterSet, params: P): string | undefined {
  const c = new Conds(d, params);
  if (s.task_runs) taskRunFilterSql(c, s.task_runs);
  if (s.flows || s.flow_runs || s.deployments) {
    const inner = new Conds(d, params);
    flowRunConds(inner, { flows: s.flows, flow_runs: s.flow_runs, deployments: s.deployments });
    c.add(
      `EXISTS (SELECT 1 FROM flow_runs fr WHERE fr.ws = tr.ws AND fr.id = tr.flow_run_id${andSql(inner.join('and_'))})`,
    );
  }
  return c.join('and_');
}

/** WHERE conditions for `flows f`. */
export function flowWhere(d: SqlDialect, s: RunFilterSet, params: P): string | undefined {
  const c = new Conds(d, params);
  if (s.flows) flowFilterSql(c, s.flows);
  if (s.flow_runs || s.task_runs || s.deployments || s.work_pools) {
    const inner = new Conds(d, params);
    flowRunConds(inner, {
      flow_runs: s.flow_runs,
      task_runs: s.task_runs,
      deployments: s.deployments,
      work_pools: s.work_pools,
    });
    c.add(`EXISTS (SELECT 1 FROM flow_runs fr WHERE fr.ws = f.ws AND fr.flow_id = f.id${andSql(inner.join('and_'))})`);
  }
  return c.join('and_');
}

/** WHERE conditions for `artifacts a`. */
export function artifactWhere(d: SqlDialect, s: RunFilterSet, params: P): string | undefined {
  const c = new Conds(d, params);
  const f: ArtifactFilter | undefined = s.artifacts;
  if (f) {
    c.nested(f.operator, (x) => {
      if (f.id) x.in('a.id', f.id.any_);
      if (f.key) {
        x.in('a.key', f.key.any_);
        x.like('a.key', f.key.like_);
        if (f.key.exists_ !== undefined) x.isNull('a.key', !f.key.exists_);
      }
      if (f.flow_run_id) x.in('a.flow_run_id', f.flow_run_id.any_);
      if (f.task_run_id) x.in('a.task_run_id', f.task_run_id.any_);
      if (f.type) {
        x.in('a.type', f.type.any_);
        x.in('a.type', f.type.not_any_, true);
      }
    });
  }
  if (s.flow_runs || s.flows || s.deployments) {
    const inner = new Conds(d, params);
    flowRunConds(inner, { flows: s.flows, flow_runs: s.flow_runs, deployments: s.deployments });
    c.add(
      `EXISTS (SELECT 1 FROM flow_runs fr WHERE fr.ws = a.ws AND fr.id = a.flow_run_id${andSql(inner.join('and_'))})`,
    );
  }
  if (s.task_runs) {
    const inner = new Conds(d, params);
    taskRunFilterSql(inner, s.task_runs);
    c.add(
      `EXISTS (SELECT 1 FROM task_runs tr WHERE tr.ws = a.ws AND tr.id = a.task_run_id${andSql(inner.join('and_'))})`,
    );
  }
  return c.join('and_');
}

// ---- sorts ------------------------------------------------------------------------------------

function order(...keys: [string, 'ASC' | 'DESC'][]): string {
  return keys.map(([e, dir]) => `${e} ${dir} NULLS LAST`).join(', ');
}

/** ORDER BY for flow runs; the time-dependent sorts take `now` as a parameter. */
export function flowRunOrder(d: SqlDialect, sort: FlowRunSort, now: number, params: P): string {
  const start = 'COALESCE(fr.start_time, fr.expected_start_time)';
  switch (sort) {
    case 'START_TIME_ASC':
      return order([start, 'ASC'], ['fr.id', 'DESC']);
    case 'START_TIME_DESC':
      return order([start, 'DESC'], ['fr.id', 'DESC']);
    case 'EXPECTED_START_TIME_ASC':
      return order(['fr.expected_start_time', 'ASC'], ['fr.id', 'DESC']);
    case 'EXPECTED_START_TIME_DESC':
      return order(['fr.expected_start_time', 'DESC'], ['fr.id', 'DESC']);
    case 'NAME_ASC':
      return order(['fr.name', 'ASC'], ['fr.id', 'DESC']);
    case 'NAME_DESC':
      return order(['fr.name', 'DESC'], ['fr.id', 'DESC']);
    case 'NEXT_SCHEDULED_START_TIME_ASC':
      return order(['fr.next_scheduled_start_time', 'ASC'], ['fr.id', 'DESC']);
    case 'END_TIME_DESC':
      return order(['fr.end_time', 'DESC'], ['fr.id', 'DESC']);
    case 'DURATION_DESC': {
      const n = d.param(params, now);
      const e = `fr.total_run_time + CASE WHEN fr.state_type = 'RUNNING' THEN ${n} - fr.state_timestamp ELSE 0 END`;
      return order([e, 'DESC'], ['fr.id', 'DESC']);
    }
    case 'LATENESS_DESC': {
      const n1 = d.param(params, now);
      const n2 = d.param(params, now);
      const e =
        'CASE WHEN fr.start_time IS NOT NULL AND fr.start_time > fr.expected_start_time THEN fr.start_time - fr.expected_start_time ' +
        `WHEN fr.start_time IS NULL AND fr.expected_start_time < ${n1} ` +
        `AND (fr.state_type IS NULL OR fr.state_type NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')) THEN ${n2} - fr.expected_start_time ELSE 0 END`;
      return order([e, 'DESC'], ['fr.id', 'DESC']);
    }
    default:
      return order(['fr.id', 'DESC']);
  }
}

export function taskRunOrder(sort: TaskRunSort): string {
  switch (sort) {
    case 'EXPECTED_START_TIME_ASC':
      return order(['tr.expected_start_time', 'ASC'], ['tr.id', 'DESC']);
    case 'EXPECTED_START_TIME_DESC':
      return order(['tr.expected_start_time', 'DESC'], ['tr.id', 'DESC']);
    case 'NAME_ASC':
      return order(['tr.name', 'ASC'], ['tr.id', 'DESC']);
    case 'NAME_DESC':
      return order(['tr.name', 'DESC'], ['tr.id', 'DESC']);
    case 'NEXT_SCHEDULED_START_TIME_ASC':
      return order(['tr.next_scheduled_start_time', 'ASC'], ['tr.id', 'DESC']);
    case 'END_TIME_DESC':
      return order(['tr.end_time', 'DESC'], ['tr.id', 'DESC']);
    default:
      return order(['tr.id', 'DESC']);
  }
}

export function flowOrder(sort: FlowSort): string {
  switch (sort) {
    case 'CREATED_DESC':
      return order(['f.created', 'DESC'], ['f.id', 'DESC']);
    case 'CREATED_ASC':
      return order(['f.created', 'ASC'], ['f.id', 'DESC']);
    case 'UPDATED_DESC':
      return order(['f.updated', 'DESC'], ['f.id', 'DESC']);
    case 'UPDATED_ASC':
      return order(['f.updated', 'ASC'], ['f.id', 'DESC']);
    case 'NAME_DESC':
      return order(['f.name', 'DESC'], ['f.id', 'DESC']);
    default:
      return order(['f.name', 'ASC'], ['f.id', 'DESC']);
  }
}

export function artifactOrder(sort: ArtifactSort): string {
  switch (sort) {
    case 'CREATED_DESC':
      return order(['a.created', 'DESC'], ['a.id', 'DESC']);
    case 'UPDATED_DESC':
      return order(['a.updated', 'DESC'], ['a.id', 'DESC']);
    case 'KEY_DESC':
      return order(['a.key', 'DESC'], ['a.id', 'DESC']);
    case 'KEY_ASC':
      return order(['a.key', 'ASC'], ['a.id', 'DESC']);
    default:
      return order(['a.id', 'DESC']);
  }
}
