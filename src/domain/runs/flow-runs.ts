/** Flow runs: `FlowRunCreate`, `FlowRunUpdate`, the stored row and the `FlowRunResponse`. */

import {
  array,
  bool,
  type Infer,
  int,
  jsonObject,
  keyText,
  named,
  num,
  object,
  optional,
  orNull,
  str,
} from '../../lib/schema.ts';
import { invalidField } from '../errors.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import { estimatedRunTime, estimatedStartTimeDelta, type RunTiming } from './bookkeeping.ts';
import { type Labels, labelsSchema, seconds, tagsSchema } from './common.ts';
import { type FlowRunPolicy, flowRunPolicySchema } from './policies.ts';
import { renderState, type StateRow, stateCreateSchema, stateSchema, stateTypeSchema } from './states.ts';

/** Prefect's `PREFECT_SERVER_API_MAX_PARAMETER_SIZE`: 512 KiB of JSON. */
export const MAX_PARAMETERS_BYTES = 524_288;

export const flowRunCreateSchema = object({
  state: optional(stateCreateSchema),
  name: optional(str()),
  flow_id: uuid(),
  flow_version: optional(str({ max: 5000 })),
  parameters: optional(jsonObject(), () => ({})),
  context: optional(jsonObject(), () => ({})),
  parent_task_run_id: optional(uuid()),
  infrastructure_document_id: optional(uuid()),
  empirical_policy: optional(flowRunPolicySchema),
  tags: optional(tagsSchema(), () => [] as string[]),
  labels: optional(labelsSchema()),
  idempotency_key: optional(keyText({ max: 5000 })),
  work_pool_name: optional(str({ max: 5000 })),
  work_queue_name: optional(str({ max: 5000 })),
  job_variables: optional(jsonObject()),
  deployment_id: optional(uuid()),
});
export type FlowRunCreate = Infer<typeof flowRunCreateSchema>;

export const flowRunUpdateSchema = object({
  name: optional(str({ max: 5000 })),
  flow_version: optional(str({ max: 5000 })),
  parameters: optional(jsonObject()),
  empirical_policy: optional(flowRunPolicySchema),
  tags: optional(tagsSchema()),
  infrastructure_pid: optional(str({ max: 5000 })),
  job_variables: optional(jsonObject()),
});
export type FlowRunUpdate = Infer<typeof flowRunUpdateSchema>;

/** `PATCH /flow_runs/{id}/labels`: the bare labels object. */
export const flowRunLabelsSchema = labelsSchema();

export const setStateBodySchema = object(
  {
    state: stateCreateSchema,
    force: optional(bool(), () => false),
    emit_event: optional(bool(), () => true),
  },
  { extra: 'ignore' },
);

export function checkParametersSize(parameters: Record<string, unknown>, loc: (string | number)[]): void {
  const size = Buffer.byteLength(JSON.stringify(parameters));
  if (size > MAX_PARAMETERS_BYTES) {
    throw invalidField(
      loc,
      `Flow run parameters must be at most ${MAX_PARAMETERS_BYTES} bytes when serialized (got ${size}).`,
      'value_error',
    );
  }
}

export interface FlowRunFields {
  id: string;
  created: Micros;
  updated: Micros;
  name: string;
  flow_id: string;
  deployment_id: string | null;
  deployment_version: string | null;
  work_queue_id: string | null;
  work_queue_name: string | null;
  flow_version: string | null;
  parameters: Record<string, unknown>;
  idempotency_key: string | null;
  context: Record<string, unknown>;
  empirical_policy: FlowRunPolicy;
  tags: string[];
  labels: Labels;
  parent_task_run_id: string | null;
  auto_scheduled: boolean;
  infrastructure_document_id: string | null;
  infrastructure_pid: string | null;
  created_by: Record<string, unknown> | null;
  work_pool_id: string | null;
  work_pool_name: string | null;
  job_variables: Record<string, unknown> | null;
  /** The run this one retries (`POST /api/v1/flow-runs/{id}/retry`); null for every other run. */
  retry_of: string | null;
}

/** A flow run as stored, with its current state. */
export interface FlowRunRow extends FlowRunFields, RunTiming {
  state: StateRow | null;
}

/** A flow run to insert; its timing comes from the initial state. */
export type NewFlowRun = FlowRunFields;

/** What flow runs and task runs both render of their timing and current state. */
export const runTimingFields = {
  state_type: orNull(stateTypeSchema),
  state_name: orNull(str()),
  run_count: int({ min: 0 }),
  expected_start_time: orNull(datetime()),
  next_scheduled_start_time: orNull(datetime()),
  start_time: orNull(datetime()),
  end_time: orNull(datetime()),
  total_run_time: num(),
  estimated_run_time: num(),
  estimated_start_time_delta: num(),
};

/** `FlowRunResponse`, as `renderFlowRun` writes it. */
export const flowRunSchema = named(
  'FlowRun',
  object({
    id: uuid(),
    created: datetime(),
    updated: datetime(),
    name: str(),
    flow_id: uuid(),
    state_id: orNull(uuid()),
    deployment_id: orNull(uuid()),
    deployment_version: orNull(str()),
    work_queue_id: orNull(uuid()),
    work_queue_name: orNull(str()),
    flow_version: orNull(str()),
    parameters: jsonObject(),
    idempotency_key: orNull(str()),
    context: jsonObject(),
    empirical_policy: jsonObject(),
    tags: array(str()),
    labels: labelsSchema(),
    parent_task_run_id: orNull(uuid()),
    ...runTimingFields,
    auto_scheduled: bool(),
    infrastructure_document_id: orNull(uuid()),
    infrastructure_pid: orNull(str()),
    created_by: orNull(jsonObject()),
    work_pool_id: orNull(uuid()),
    work_pool_name: orNull(str()),
    state: orNull(stateSchema),
    job_variables: jsonObject(),
  }),
);

/** `FlowRunResponse`, with the open-source server's key set and order. */
export function renderFlowRun(r: FlowRunRow, now: Micros): Record<string, unknown> {
  return {
    id: r.id,
    created: formatMicros(r.created),
    updated: formatMicros(r.updated),
    name: r.name,
    flow_id: r.flow_id,
    state_id: r.state_id,
    deployment_id: r.deployment_id,
    deployment_version: r.deployment_version,
    work_queue_id: r.work_queue_id,
    work_queue_name: r.work_queue_name,
    flow_version: r.flow_version,
    parameters: r.parameters,
    idempotency_key: r.idempotency_key,
    context: r.context,
    empirical_policy: r.empirical_policy,
    tags: r.tags,
    labels: r.labels,
    parent_task_run_id: r.parent_task_run_id,
    state_type: r.state_type,
    state_name: r.state_name,
    run_count: r.run_count,
    expected_start_time: formatNullable(r.expected_start_time),
    next_scheduled_start_time: formatNullable(r.next_scheduled_start_time),
    start_time: formatNullable(r.start_time),
    end_time: formatNullable(r.end_time),
    total_run_time: seconds(r.total_run_time),
    estimated_run_time: seconds(estimatedRunTime(r, now)),
    estimated_start_time_delta: seconds(estimatedStartTimeDelta(r, now)),
    auto_scheduled: r.auto_scheduled,
    infrastructure_document_id: r.infrastructure_document_id,
    infrastructure_pid: r.infrastructure_pid,
    created_by: r.created_by,
    work_pool_id: r.work_pool_id,
    work_pool_name: r.work_pool_name,
    state: r.state ? renderState(r.state) : null,
    job_variables: r.job_variables ?? {},
  };
}
