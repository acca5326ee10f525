/**
 * Run filters as plain data: `FlowFilter`, `FlowRunFilter`, `TaskRunFilter`, `DeploymentFilter`,
 * `WorkPoolFilter`, `WorkQueueFilter` and `ArtifactFilter`, with every key the Prefect Cloud
 * OpenAPI declares. Every filter object forbids unknown keys (Prefect: 422). Semantics (applied
 * by each engine, see `store/sql/run-filters.ts`): conditions inside one object are combined with
 * its `operator` (default `and_`); the filter objects of one request are AND-ed.
 */
import { array, bool, type Infer, int, literal, object, optional, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime } from '../time.ts';
import { stateTypeSchema } from './states.ts';

const operator = () => optional(literal(['and_', 'or_'] as const), () => 'and_' as const);
const uuids = () => optional(array(uuid()));
const strings = () => optional(array(str()));
const flag = () => optional(bool());
const time = () => optional(datetime());

const createdBy = () => optional(object({ operator: operator(), id_: uuids(), type_: strings(), is_null_: flag() }));

export const flowFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids(), not_any_: uuids() })),
  deployment: optional(object({ operator: operator(), is_null_: flag() })),
  name: optional(object({ any_: strings(), like_: optional(str()) })),
  tags: optional(object({ operator: operator(), all_: strings(), is_null_: flag() })),
  created_by: createdBy(),
  updated_by: createdBy(),
});
export type FlowFilter = Infer<typeof flowFilterSchema>;

export const flowRunFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids(), not_any_: uuids() })),
  name: optional(object({ any_: strings(), like_: optional(str()) })),
  tags: optional(object({ operator: operator(), all_: strings(), any_: strings(), is_null_: flag() })),
  flow_id: optional(object({ operator: operator(), any_: uuids() })),
  deployment_id: optional(object({ operator: operator(), any_: uuids(), is_null_: flag() })),
  deployment_version_id: optional(object({ operator: operator(), deployment_id: uuid(), any_: uuids() })),
  deployment_version_info: optional(
    object({
      operator: operator(),
      deployment_id: uuid(),
      any_: optional(array(object({ type: str(), version: str() }, { extra: 'ignore' }))),
    }),
  ),
  work_queue_id: optional(object({ operator: operator(), any_: uuids(), is_null_: flag() })),
  work_queue_name: optional(object({ operator: operator(), any_: strings(), is_null_: flag() })),
  state: optional(
    object({
      operator: operator(),
      type: optional(object({ any_: optional(array(stateTypeSchema)), not_any_: optional(array(stateTypeSchema)) })),
      name: optional(object({ any_: strings(), not_any_: strings() })),
    }),
  ),
  flow_version: optional(object({ any_: strings() })),
  start_time: optional(object({ before_: time(), after_: time(), is_null_: flag() })),
  expected_start_time: optional(object({ before_: time(), after_: time() })),
  next_scheduled_start_time: optional(object({ before_: time(), after_: time() })),
  end_time: optional(object({ before_: time(), after_: time(), is_null_: flag() })),
  parent_flow_run_id: optional(object({ operator: operator(), any_: uuids() })),
  parent_task_run_id: optional(object({ operator: operator(), any_: uuids(), is_null_: flag() })),
  idempotency_key: optional(object({ any_: strings(), not_any_: strings() })),
  created_by: createdBy(),
});
export type FlowRunFilter = Infer<typeof flowRunFilterSchema>;

export const taskRunFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids() })),
  name: optional(object({ any_: strings(), like_: optional(str()) })),
  tags: optional(object({ operator: operator(), all_: strings(), is_null_: flag() })),
  state: optional(
    object({
      operator: operator(),
      type: optional(object({ any_: optional(array(stateTypeSchema)) })),
      name: optional(object({ any_: strings() })),
    }),
  ),
  start_time: optional(object({ before_: time(), after_: time(), is_null_: flag() })),
  end_time: optional(object({ before_: time(), after_: time(), is_null_: flag() })),
  expected_start_time: optional(object({ before_: time(), after_: time() })),
  subflow_runs: optional(object({ exists_: flag() })),
  flow_run_id: optional(object({ operator: operator(), any_: uuids(), is_null_: optional(bool(), () => false) })),
});
export type TaskRunFilter = Infer<typeof taskRunFilterSchema>;

/**
 * Sightline stores no deployments: a run "has" a deployment when it carries a `deployment_id`.
 * `id` and `flow_id` are matched against the run; criteria about the deployment object itself
 * (name, tags, schedules, …) match no run, because no deployment with those properties exists.
 */
export const deploymentFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids(), not_any_: uuids() })),
  branch: optional(object({ operator: operator(), any_: strings(), is_null_: flag() })),
  base: optional(object({ operator: operator(), any_: strings() })),
  root: optional(object({ operator: operator(), any_: strings() })),
  name: optional(object({ any_: strings(), like_: optional(str()) })),
  is_schedule_active: optional(object({ eq_: flag() })),
  paused: optional(object({ eq_: flag() })),
  tags: optional(object({ operator: operator(), all_: strings(), any_: strings(), is_null_: flag() })),
  work_queue_name: optional(object({ any_: strings() })),
  concurrency_limit: optional(object({ ge_: optional(int()), le_: optional(int()), is_null_: flag() })),
  work_queue_id: optional(object({ any_: uuids() })),
  status: optional(object({ any_: optional(array(literal(['READY', 'NOT_READY', 'DISABLED'] as const))) })),
  flow_or_deployment_name: optional(object({ like_: optional(str()) })),
  flow_id: optional(object({ any_: uuids() })),
  created_by: createdBy(),
  updated_by: createdBy(),
});
export type DeploymentFilter = Infer<typeof deploymentFilterSchema>;

/** Sightline stores no work pools: a run "has" one when it carries a `work_pool_name`. */
export const workPoolFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids() })),
  name: optional(object({ any_: strings(), like_: optional(str()) })),
  type: optional(object({ any_: strings() })),
  paused: optional(object({ eq_: flag() })),
  status: optional(object({ any_: optional(array(literal(['READY', 'NOT_READY', 'PAUSED'] as const))) })),
  created_by: createdBy(),
  updated_by: createdBy(),
});
export type WorkPoolFilter = Infer<typeof workPoolFilterSchema>;

/** Sightline stores no work queues: a run "has" one when it carries a `work_queue_name`. */
export const workQueueFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids() })),
  name: optional(object({ any_: strings(), startswith_: strings() })),
  created_by: createdBy(),
  updated_by: createdBy(),
});
export type WorkQueueFilter = Infer<typeof workQueueFilterSchema>;

export const artifactFilterSchema = object({
  operator: operator(),
  id: optional(object({ any_: uuids() })),
  key: optional(object({ any_: strings(), like_: optional(str()), exists_: flag() })),
  flow_run_id: optional(object({ any_: uuids() })),
  task_run_id: optional(object({ any_: uuids() })),
  type: optional(object({ any_: strings(), not_any_: strings() })),
});
export type ArtifactFilter = Infer<typeof artifactFilterSchema>;

/** The filter objects a run query may combine; absent = no condition. */
export interface RunFilterSet {
  flows?: FlowFilter;
  flow_runs?: FlowRunFilter;
  task_runs?: TaskRunFilter;
  deployments?: DeploymentFilter;
  work_pools?: WorkPoolFilter;
  work_pool_queues?: WorkQueueFilter;
  artifacts?: ArtifactFilter;
}

export const FLOW_SORTS = [
  'CREATED_DESC',
  'CREATED_ASC',
  'UPDATED_DESC',
  'UPDATED_ASC',
  'NAME_ASC',
  'NAME_DESC',
] as const;
export type FlowSort = (typeof FLOW_SORTS)[number];

export const FLOW_RUN_SORTS = [
  'ID_DESC',
  'START_TIME_ASC',
  'START_TIME_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
  'DURATION_DESC',
  'LATENESS_DESC',
] as const;
export type FlowRunSort = (typeof FLOW_RUN_SORTS)[number];

export const TASK_RUN_SORTS = [
  'ID_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
] as const;
export type TaskRunSort = (typeof TASK_RUN_SORTS)[number];

export const ARTIFACT_SORTS = ['CREATED_DESC', 'UPDATED_DESC', 'ID_DESC', 'KEY_DESC', 'KEY_ASC'] as const;
export type ArtifactSort = (typeof ARTIFACT_SORTS)[number];

/** A page of a run query. `now` anchors the time-dependent sorts (duration, lateness). */
export interface RunQuery<S extends string> {
  filters: RunFilterSet;
  sort: S;
  limit: number;
  offset: number;
  now: number;
}

export const RUN_LIMIT_DEFAULT = 200;
export const RUN_LIMIT_MAX = 200;
/** Prefect Cloud caps `offset` of `/task_runs/filter` at 10,001. */
export const TASK_RUN_OFFSET_MAX_CLOUD = 10_001;
