/** Task runs: `TaskRunCreate`, `TaskRunUpdate`, `task_inputs`, the stored row and `TaskRun`. */
import {
  array,
  INVALID,
  type Infer,
  int,
  jsonObject,
  keyText,
  named,
  object,
  optional,
  orNull,
  type Schema,
  str,
} from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import { estimatedRunTime, estimatedStartTimeDelta, type RunTiming } from './bookkeeping.ts';
import { type Labels, labelsSchema, seconds, tagsSchema } from './common.ts';
import { runTimingFields } from './flow-runs.ts';
import { type TaskRunPolicy, taskRunPolicySchema } from './policies.ts';
import { renderState, type StateRow, stateCreateSchema, stateSchema } from './states.ts';

export type TaskRunInput =
  | { input_type: 'task_run'; id: string }
  | { input_type: 'flow_run'; id: string }
  | { input_type: 'parameter'; name: string }
  | { input_type: 'constant'; type: string };

const inputShapes = {
  task_run: object({ input_type: str(), id: uuid() }, { extra: 'ignore' }),
  flow_run: object({ input_type: str(), id: uuid() }, { extra: 'ignore' }),
  parameter: object({ input_type: str(), name: str() }, { extra: 'ignore' }),
  constant: object({ input_type: str(), type: str() }, { extra: 'ignore' }),
} as const;

/** One upstream reference in `task_inputs`, told apart by `input_type` (default `task_run`). */
const taskRunInputSchema: Schema<TaskRunInput> = {
  parse(v, loc, issues) {
    const kind =
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? ((v as Record<string, unknown>).input_type ?? 'task_run')
        : undefined;
    const shape = typeof kind === 'string' ? inputShapes[kind as keyof typeof inputShapes] : undefined;
    if (!shape) {
      issues.push({
        loc,
        msg: "Input should be a task_run, flow_run, parameter or constant reference ('input_type')",
        type: 'union_tag_invalid',
        input: v,
      });
      return INVALID;
    }
    const r = shape.parse({ input_type: kind, ...(v as object) }, loc, issues);
    return r === INVALID ? INVALID : (r as TaskRunInput);
  },
  json: () => ({ type: 'object', properties: { input_type: { enum: Object.keys(inputShapes) } } }),
  describe: () => taskRunInputSchema,
};

export const taskInputsSchema: Schema<Record<string, TaskRunInput[]>> = (() => {
  const item = array(taskRunInputSchema);
  const s: Schema<Record<string, TaskRunInput[]>> = {
    parse(v, loc, issues) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        issues.push({ loc, msg: 'Input should be a valid dictionary', type: 'dict_type', input: v });
        return INVALID;
      }
      const out: Record<string, TaskRunInput[]> = {};
      let ok = true;
      for (const [k, x] of Object.entries(v)) {
        const r = item.parse(x, [...loc, k], issues);
        if (r === INVALID) ok = false;
        else out[k] = r;
      }
      return ok ? out : INVALID;
    },
    json: () => ({ type: 'object', additionalProperties: item.json() }),
    describe: () => s,
  };
  return s;
})();

export const taskRunCreateSchema = object({
  id: optional(uuid()),
  state: optional(stateCreateSchema),
  name: optional(str({ max: 5000 })),
  flow_run_id: optional(uuid()),
  task_key: keyText({ max: 5000 }),
  dynamic_key: keyText({ max: 5000 }),
  cache_key: optional(str({ max: 5000 })),
  cache_expiration: optional(datetime()),
  task_version: optional(str({ max: 5000 })),
  empirical_policy: optional(taskRunPolicySchema),
  tags: optional(tagsSchema(), () => [] as string[]),
  labels: optional(labelsSchema()),
  task_inputs: optional(taskInputsSchema, () => ({})),
});
export type TaskRunCreate = Infer<typeof taskRunCreateSchema>;

export const taskRunUpdateSchema = object({ name: optional(str({ max: 5000 })) });

export interface TaskRunFields {
  id: string;
  created: Micros;
  updated: Micros;
  name: string;
  flow_run_id: string | null;
  task_key: string;
  dynamic_key: string;
  cache_key: string | null;
  cache_expiration: Micros | null;
  task_version: string | null;
  empirical_policy: TaskRunPolicy;
  tags: string[];
  labels: Labels;
  task_inputs: Record<string, TaskRunInput[]>;
  flow_run_run_count: number;
}

export interface TaskRunRow extends TaskRunFields, RunTiming {
  state: StateRow | null;
}

export type NewTaskRun = TaskRunFields;

/** What a comparison of two runs' tasks needs of each task run. */
export type TaskRunOutline = Pick<
  TaskRunRow,
  'id' | 'name' | 'task_key' | 'dynamic_key' | 'state_name' | 'run_count' | 'start_time' | 'end_time'
>;

/** The fields of `TaskRun`, as `renderTaskRun` writes them (`UITaskRun` adds one). */
export const taskRunFields = {
  id: uuid(),
  created: datetime(),
  updated: datetime(),
  name: str(),
  flow_run_id: orNull(uuid()),
  task_key: str(),
  dynamic_key: str(),
  cache_key: orNull(str()),
  cache_expiration: orNull(datetime()),
  task_version: orNull(str()),
  empirical_policy: jsonObject(),
  tags: array(str()),
  labels: labelsSchema(),
  state_id: orNull(uuid()),
  task_inputs: jsonObject(),
  ...runTimingFields,
  flow_run_run_count: int({ min: 0 }),
  state: orNull(stateSchema),
};
export const taskRunSchema = named('TaskRun', object(taskRunFields));

/** `TaskRun`, with the open-source server's key set and order. */
export function renderTaskRun(r: TaskRunRow, now: Micros): Record<string, unknown> {
  return {
    id: r.id,
    created: formatMicros(r.created),
    updated: formatMicros(r.updated),
    name: r.name,
    flow_run_id: r.flow_run_id,
    task_key: r.task_key,
    dynamic_key: r.dynamic_key,
    cache_key: r.cache_key,
    cache_expiration: formatNullable(r.cache_expiration),
    task_version: r.task_version,
    empirical_policy: r.empirical_policy,
    tags: r.tags,
    labels: r.labels,
    state_id: r.state_id,
    task_inputs: r.task_inputs,
    state_type: r.state_type,
    state_name: r.state_name,
    run_count: r.run_count,
    flow_run_run_count: r.flow_run_run_count,
    expected_start_time: formatNullable(r.expected_start_time),
    next_scheduled_start_time: formatNullable(r.next_scheduled_start_time),
    start_time: formatNullable(r.start_time),
    end_time: formatNullable(r.end_time),
    total_run_time: seconds(r.total_run_time),
    estimated_run_time: seconds(estimatedRunTime(r, now)),
    estimated_start_time_delta: seconds(estimatedStartTimeDelta(r, now)),
    state: r.state ? renderState(r.state) : null,
  };
}
