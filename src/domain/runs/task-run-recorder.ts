/**
 * The task-run recorder's pure half: a client-emitted `prefect.task-run.*` event → the task run it
 * describes and the state it reports (reference §7.9). Prefect 3 clients create task runs only
 * through these events. The state's id is the event id and its timestamp the event's `occurred`,
 * so re-sent events map to the same state. Events that are not task-run state events, or that do
 * not carry a usable task run, give `undefined` (the event itself is still stored).
 */
import type { Issue } from '../../lib/schema.ts';
import { any, INVALID, type Infer, int, keyText, num, object, optional, str } from '../../lib/schema.ts';
import { normalizeUuid } from '../ids.ts';
import { datetime, MICROS_PER_SECOND, type Micros } from '../time.ts';
import type { RunTiming } from './bookkeeping.ts';
import { type Labels, labelsSchema, tagsSchema } from './common.ts';
import { normalizeTaskRunPolicy, taskRunPolicySchema } from './policies.ts';
import type { RunEvent } from './run-events.ts';
import { defaultStateName, parseDetails, type StateRow, stateTypeSchema } from './states.ts';
import { type NewTaskRun, type TaskRunFields, taskInputsSchema } from './task-runs.ts';

/** What the recorder needs of an event (any Prefect `Event`/`ReceivedEvent` fits). */
export type TaskRunEventLike = Omit<RunEvent, 'follows'>;

/** The task run as an event reports it: every field the row takes from `payload.task_run`. */
export type RecordedTaskRun = Omit<TaskRunFields, 'id' | 'created' | 'updated' | 'flow_run_id'> &
  Omit<RunTiming, 'state_id' | 'state_type' | 'state_name' | 'state_timestamp'>;

export interface TaskRunEventRecord {
  taskRunId: string;
  flowRunId: string | null;
  taskRun: RecordedTaskRun;
  /** The reported state: id = event id, timestamp = `occurred`. */
  state: StateRow;
}

const taskRunPayloadSchema = object(
  {
    name: optional(str()),
    task_key: keyText(),
    dynamic_key: keyText(),
    cache_key: optional(str()),
    cache_expiration: optional(datetime()),
    task_version: optional(str()),
    empirical_policy: optional(taskRunPolicySchema),
    tags: optional(tagsSchema(), () => [] as string[]),
    labels: optional(labelsSchema(), () => ({}) as Labels),
    task_inputs: optional(taskInputsSchema, () => ({})),
    run_count: optional(int({ min: 0 }), () => 0),
    flow_run_run_count: optional(int({ min: 0 }), () => 0),
    expected_start_time: optional(datetime()),
    next_scheduled_start_time: optional(datetime()),
    start_time: optional(datetime()),
    end_time: optional(datetime()),
    total_run_time: optional(num({ min: 0 }), () => 0),
  },
  { extra: 'ignore' },
);

const validatedStateSchema = object(
  {
    type: stateTypeSchema,
    name: optional(keyText()),
    message: optional(str()),
    data: optional(any()),
    state_details: optional(any()),
  },
  { extra: 'ignore' },
);

const TASK_RUN_PREFIX = 'prefect.task-run.';
const FLOW_RUN_PREFIX = 'prefect.flow-run.';

export function isClientTaskRunEvent(e: Pick<TaskRunEventLike, 'event' | 'resource'>): boolean {
  return e.event.startsWith('prefect.task-run.') && e.resource['prefect.orchestration'] === 'client';
}

export function taskRunRecordFromEvent(e: TaskRunEventLike): TaskRunEventRecord | undefined {
  if (!isClientTaskRunEvent(e)) return undefined;
  const rid = e.resource['prefect.resource.id'] ?? '';
  if (!rid.startsWith(TASK_RUN_PREFIX)) return undefined;
  const taskRunId = normalizeUuid(rid.slice(TASK_RUN_PREFIX.length));
  if (!taskRunId) return undefined;

  let flowRunId: string | null = null;
  for (const r of e.related ?? []) {
    const id = r['prefect.resource.id'] ?? '';
    if (r['prefect.resource.role'] === 'flow-run' && id.startsWith(FLOW_RUN_PREFIX)) {
      flowRunId = normalizeUuid(id.slice(FLOW_RUN_PREFIX.length)) ?? null;
      break;
    }
  }

  const issues: Issue[] = [];
  const tr = taskRunPayloadSchema.parse(e.payload?.task_run, ['task_run'], issues);
  if (tr === INVALID) return undefined;
  const vs = validatedStateSchema.parse(
    e.payload?.validated_state ?? stateFromLabels(e.resource),
    ['validated_state'],
    issues,
  );
  if (vs === INVALID) return undefined;
  const details = parseDetails(vs.state_details, ['validated_state', 'state_details'], issues);
  if (details === INVALID) return undefined;

  const state: StateRow = {
    id: e.id,
    timestamp: e.occurred,
    type: vs.type,
    name: vs.name ?? defaultStateName(vs.type),
    message: vs.message ?? null,
    data: vs.data ?? null,
    state_details: { ...details, flow_run_id: flowRunId, task_run_id: taskRunId },
  };
  return { taskRunId, flowRunId, taskRun: recorded(tr), state };
}

/**
 * The row a record describes, for an engine to insert (as run `runId`, created `now`) or to
 * rewrite when the reported state is newer than the stored one: the run's fields, and its timing
 * with the reported state current (the event carries the bookkeeping, so none is recomputed).
 */
export function recordedRow(
  rec: TaskRunEventRecord,
  runId: string,
  now: Micros,
): { run: NewTaskRun; timing: RunTiming } {
  const { taskRun: tr, state } = rec;
  return {
    run: {
      id: runId,
      created: now,
      updated: now,
      name: tr.name,
      flow_run_id: rec.flowRunId,
      task_key: tr.task_key,
      dynamic_key: tr.dynamic_key,
      cache_key: tr.cache_key,
      cache_expiration: tr.cache_expiration,
      task_version: tr.task_version,
      empirical_policy: tr.empirical_policy,
      tags: tr.tags,
      labels: tr.labels,
      task_inputs: tr.task_inputs,
      flow_run_run_count: tr.flow_run_run_count,
    },
    timing: {
      state_id: state.id,
      state_type: state.type,
      state_name: state.name,
      state_timestamp: state.timestamp,
      run_count: tr.run_count,
      expected_start_time: tr.expected_start_time,
      next_scheduled_start_time: tr.next_scheduled_start_time,
      start_time: tr.start_time,
      end_time: tr.end_time,
      total_run_time: tr.total_run_time,
    },
  };
}

function stateFromLabels(resource: Record<string, string>): Record<string, unknown> | undefined {
  const type = resource['prefect.state-type'];
  if (!type) return undefined;
  return {
    type,
    name: resource['prefect.state-name'] || undefined,
    message: resource['prefect.state-message'] || undefined,
  };
}

function recorded(tr: Infer<typeof taskRunPayloadSchema>): RecordedTaskRun {
  return {
    name: tr.name ?? `${tr.task_key}-${tr.dynamic_key.slice(0, 3)}`,
    task_key: tr.task_key,
    dynamic_key: tr.dynamic_key,
    cache_key: tr.cache_key ?? null,
    cache_expiration: tr.cache_expiration ?? null,
    task_version: tr.task_version ?? null,
    empirical_policy: normalizeTaskRunPolicy(tr.empirical_policy),
    tags: tr.tags,
    labels: tr.labels,
    task_inputs: tr.task_inputs,
    run_count: tr.run_count,
    flow_run_run_count: tr.flow_run_run_count,
    expected_start_time: tr.expected_start_time ?? null,
    next_scheduled_start_time: tr.next_scheduled_start_time ?? null,
    start_time: tr.start_time ?? null,
    end_time: tr.end_time ?? null,
    total_run_time: Math.round(tr.total_run_time * MICROS_PER_SECOND),
  };
}
