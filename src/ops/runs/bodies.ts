/** Request bodies of the run query routes: the filter objects, sort, limit and offset. */
import {
  ARTIFACT_SORTS,
  artifactFilterSchema,
  deploymentFilterSchema,
  FLOW_RUN_SORTS,
  FLOW_SORTS,
  flowFilterSchema,
  flowRunFilterSchema,
  RUN_LIMIT_DEFAULT,
  RUN_LIMIT_MAX,
  type RunFilterSet,
  TASK_RUN_OFFSET_MAX_CLOUD,
  TASK_RUN_SORTS,
  taskRunFilterSchema,
  workPoolFilterSchema,
  workQueueFilterSchema,
} from '../../domain/runs/filters.ts';
import { int, literal, object, optional } from '../../domain/schema.ts';
import type { PathFamily } from '../context.ts';

const limit = () => optional(int({ min: 0, max: RUN_LIMIT_MAX }), () => RUN_LIMIT_DEFAULT);
const offset = (max?: number) => optional(int({ min: 0, max }), () => 0);

// Top-level keys the route does not know are ignored (FastAPI's embedded bodies); the filter
// objects themselves forbid unknown keys.
const flowRunFilters = {
  flows: optional(flowFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  deployments: optional(deploymentFilterSchema),
  work_pools: optional(workPoolFilterSchema),
  work_pool_queues: optional(workQueueFilterSchema),
};

export const flowRunFilterBodySchema = object(
  {
    ...flowRunFilters,
    sort: optional(literal(FLOW_RUN_SORTS), () => 'ID_DESC' as const),
    limit: limit(),
    offset: offset(),
  },
  { extra: 'ignore' },
);
export const flowRunCountBodySchema = object(flowRunFilters, { extra: 'ignore' });

const taskRunFilters = {
  flows: optional(flowFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  deployments: optional(deploymentFilterSchema),
};

function taskRunFilterBodyFor(offsetMax?: number) {
  return object(
    {
      ...taskRunFilters,
      sort: optional(literal(TASK_RUN_SORTS), () => 'ID_DESC' as const),
      limit: limit(),
      offset: offset(offsetMax),
    },
    { extra: 'ignore' },
  );
}
const taskRunBodies = { oss: taskRunFilterBodyFor(), cloud: taskRunFilterBodyFor(TASK_RUN_OFFSET_MAX_CLOUD) };
export function taskRunFilterBodySchema(family: PathFamily) {
  return taskRunBodies[family];
}
export const taskRunCountBodySchema = object(taskRunFilters, { extra: 'ignore' });

const flowFilters = {
  flows: optional(flowFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  deployments: optional(deploymentFilterSchema),
  work_pools: optional(workPoolFilterSchema),
};
export const flowFilterBodySchema = object(
  { ...flowFilters, sort: optional(literal(FLOW_SORTS), () => 'NAME_ASC' as const), limit: limit(), offset: offset() },
  { extra: 'ignore' },
);
export const flowCountBodySchema = object(flowFilters, { extra: 'ignore' });

const artifactFilters = {
  artifacts: optional(artifactFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  flows: optional(flowFilterSchema),
  deployments: optional(deploymentFilterSchema),
};
export const artifactFilterBodySchema = object(
  {
    ...artifactFilters,
    sort: optional(literal(ARTIFACT_SORTS), () => 'ID_DESC' as const),
    limit: limit(),
    offset: offset(),
  },
  { extra: 'ignore' },
);
export const artifactCountBodySchema = object(artifactFilters, { extra: 'ignore' });

/** The filter objects of a parsed body (sort/limit/offset dropped). */
export function filtersOf(body: RunFilterSet & Record<string, unknown>): RunFilterSet {
  return {
    flows: body.flows,
    flow_runs: body.flow_runs,
    task_runs: body.task_runs,
    deployments: body.deployments,
    work_pools: body.work_pools,
    work_pool_queues: body.work_pool_queues,
    artifacts: body.artifacts,
  };
}
