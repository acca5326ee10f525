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
  type RunQuery,
  TASK_RUN_OFFSET_MAX_CLOUD,
  TASK_RUN_SORTS,
  taskRunFilterSchema,
  workPoolFilterSchema,
  workQueueFilterSchema,
} from '../../domain/runs/filters.ts';
import { uiHistoryLimit } from '../../domain/runs/ui-views.ts';
import { nowMicros } from '../../domain/time.ts';
import { array, int, literal, object, optional, type Schema, type Shape } from '../../lib/schema.ts';
import type { PathFamily } from '../context.ts';

const limit = () => optional(int({ min: 0, max: RUN_LIMIT_MAX }), () => RUN_LIMIT_DEFAULT);
const offset = (max?: number) => optional(int({ min: 0, max }), () => 0);

// Top-level keys the route does not know are ignored (FastAPI's embedded bodies); the filter
// objects themselves forbid unknown keys.
export const taskRunFilters = {
  flows: optional(flowFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  deployments: optional(deploymentFilterSchema),
};
export const flowFilters = { ...taskRunFilters, work_pools: optional(workPoolFilterSchema) };
export const flowRunFilters = { ...flowFilters, work_pool_queues: optional(workQueueFilterSchema) };
const artifactFilters = {
  artifacts: optional(artifactFilterSchema),
  flow_runs: optional(flowRunFilterSchema),
  task_runs: optional(taskRunFilterSchema),
  flows: optional(flowFilterSchema),
  deployments: optional(deploymentFilterSchema),
};

/** A `/filter` body: the filters, then sort (with Prefect's default), limit and offset. */
function filterBody<S extends Shape, T extends string>(filters: S, sorts: readonly T[], sort: T, offsetMax?: number) {
  return object(
    { ...filters, sort: optional(literal(sorts), () => sort), limit: limit(), offset: offset(offsetMax) },
    { extra: 'ignore' },
  );
}

export const flowRunFilterBodySchema = filterBody(flowRunFilters, FLOW_RUN_SORTS, 'ID_DESC');
export const flowRunCountBodySchema = object(flowRunFilters, { extra: 'ignore' });

const taskRunBodies = {
  oss: filterBody(taskRunFilters, TASK_RUN_SORTS, 'ID_DESC'),
  cloud: filterBody(taskRunFilters, TASK_RUN_SORTS, 'ID_DESC', TASK_RUN_OFFSET_MAX_CLOUD),
};
export function taskRunFilterBodySchema(family: PathFamily) {
  return taskRunBodies[family];
}
export const taskRunCountBodySchema = object(taskRunFilters, { extra: 'ignore' });

export const flowFilterBodySchema = filterBody(flowFilters, FLOW_SORTS, 'NAME_ASC');
export const flowCountBodySchema = object(flowFilters, { extra: 'ignore' });

export const artifactFilterBodySchema = filterBody(artifactFilters, ARTIFACT_SORTS, 'ID_DESC');
export const artifactCountBodySchema = object(artifactFilters, { extra: 'ignore' });

/** A `/paginate` body: the filters, then sort (with Prefect's default), limit and page (from 1). */
function paginateBody<S extends Shape, T extends string>(filters: S, sorts: readonly T[], sort: T) {
  return object(
    {
      ...filters,
      sort: optional(literal(sorts), () => sort),
      limit: limit(),
      page: optional(int({ min: 1 }), () => 1),
    },
    { extra: 'ignore' },
  );
}

/** A `/paginate` body of a resource Sightline does not have: only the page is read. */
export const paginateBodySchema = object(
  { limit: limit(), page: optional(int({ min: 1 }), () => 1) },
  { extra: 'ignore' },
);

export const flowRunPaginateBodySchema = paginateBody(flowRunFilters, FLOW_RUN_SORTS, 'ID_DESC');
export const taskRunPaginateBodySchema = paginateBody(taskRunFilters, TASK_RUN_SORTS, 'ID_DESC');
export const flowPaginateBodySchema = paginateBody(flowFilters, FLOW_SORTS, 'NAME_ASC');

/** `POST /ui/flow_runs/history`: a `/filter` body whose page holds up to 1,000 runs. */
export const uiFlowRunHistoryBodySchema = object(
  {
    ...flowFilters,
    sort: optional(literal(FLOW_RUN_SORTS), () => 'EXPECTED_START_TIME_DESC' as const),
    limit: uiHistoryLimit(),
    offset: offset(),
  },
  { extra: 'ignore' },
);

/** `POST /ui/task_runs/dashboard/counts`: `task_runs` is required (its `start_time.after_` too). */
export const dashboardCountsBodySchema = object(
  {
    ...taskRunFilters,
    task_runs: taskRunFilterSchema,
    work_pools: optional(workPoolFilterSchema),
    work_queues: optional(workQueueFilterSchema),
  },
  { extra: 'ignore' },
);

/** `{results, count, limit, pages, page}` as Prefect's paginate routes answer. */
/** The schema of `paginated(results)`: `{results, count, limit, pages, page}`. */
export function paginatedSchema(item: Schema<unknown>): Schema<unknown> {
  return object({
    results: array(item),
    count: int({ min: 0 }),
    limit: int({ min: 0 }),
    pages: int({ min: 0 }),
    page: int({ min: 1 }),
  });
}

export function paginated(results: unknown[], count: number, body: { limit: number; page: number }) {
  const pages = body.limit > 0 ? Math.ceil(count / body.limit) : 0;
  return { results, count, limit: body.limit, pages, page: body.page };
}

/** The filter objects of a parsed body (sort/limit/offset dropped). */
export function filtersOf(body: RunFilterSet): RunFilterSet {
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

/** The store query of a parsed `/filter` body, anchored at now for the time-dependent sorts. */
export function runQueryOf<S extends string>(
  body: RunFilterSet & { sort: S; limit: number; offset: number },
): RunQuery<S> {
  return { filters: filtersOf(body), sort: body.sort, limit: body.limit, offset: body.offset, now: nowMicros() };
}
