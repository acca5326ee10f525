/**
 * `prefect.flow-run.<State>` events, built by the server on every accepted flow-run transition
 * (reference §7.8). Pure: the caller passes the run after bookkeeping, the states, and the related
 * objects it found; the result is a Prefect `Event` ready for the ingest path.
 */
import { formatPythonIso, MICROS_PER_SECOND, type Micros } from '../time.ts';
import type { FlowRow } from './flows.ts';
import type { ProposedState, StateRow, StateType } from './states.ts';

/** A Prefect `Event` as Sightline hands it to the event ingest path. */
export interface RunEvent {
  id: string;
  occurred: Micros;
  event: string;
  resource: Record<string, string>;
  related: Record<string, string>[];
  payload: Record<string, unknown>;
  follows: string | null;
}

/** Prefect truncates state messages in events at 100,000 characters. */
export const STATE_MESSAGE_MAX = 100_000;
/** `follows` is set only when the previous state is this close in time (Prefect's `TIGHT_TIMING`). */
export const TIGHT_TIMING = 300 * MICROS_PER_SECOND;

function truncated(s: string | null): string {
  if (!s) return '';
  return s.length > STATE_MESSAGE_MAX ? s.slice(0, STATE_MESSAGE_MAX) : s;
}

/** Prefect's `state_payload`: type, and name / message / pause_reschedule only when set. */
export function statePayload(state: ProposedState | null): Record<string, unknown> | null {
  if (!state) return null;
  const p: Record<string, unknown> = { type: state.type };
  if (state.name) p.name = state.name;
  if (state.message) p.message = truncated(state.message);
  if (state.type === 'PAUSED') p.pause_reschedule = String(state.state_details.pause_reschedule);
  return p;
}

export interface FlowRunEventInput {
  run: { id: string; name: string; run_count: number; tags: string[] };
  flow: Pick<FlowRow, 'id' | 'name' | 'tags'> | undefined;
  /** The subflow's tracking task run, when the run is a subflow. */
  parentTaskRun: { id: string; name: string; tags: string[] } | undefined;
  previous: StateRow | null;
  /** The state type the client proposed (differs from `state.type` when orchestration substituted one). */
  intendedType: StateType;
  state: StateRow;
}

export function flowRunStateEvent(input: FlowRunEventInput): RunEvent {
  const { run, flow, parentTaskRun, previous, state } = input;
  const related: Record<string, string>[] = [];
  if (flow) {
    related.push({
      'prefect.resource.id': `prefect.flow.${flow.id}`,
      'prefect.resource.role': 'flow',
      'prefect.resource.name': flow.name,
    });
  }
  if (parentTaskRun) {
    related.push({
      'prefect.resource.id': `prefect.task-run.${parentTaskRun.id}`,
      'prefect.resource.role': 'task-run',
      'prefect.resource.name': parentTaskRun.name,
    });
  }
  const tags = new Set([...run.tags, ...(flow?.tags ?? []), ...(parentTaskRun?.tags ?? [])]);
  for (const tag of [...tags].sort())
    related.push({ 'prefect.resource.id': `prefect.tag.${tag}`, 'prefect.resource.role': 'tag' });
  const tight = previous !== null && Math.abs(state.timestamp - previous.timestamp) < TIGHT_TIMING;
  return {
    id: state.id,
    occurred: state.timestamp,
    event: `prefect.flow-run.${state.name}`,
    resource: {
      'prefect.resource.id': `prefect.flow-run.${run.id}`,
      'prefect.resource.name': run.name,
      'prefect.run-count': String(run.run_count),
      'prefect.state-message': truncated(state.message),
      'prefect.state-name': state.name ?? '',
      'prefect.state-timestamp': formatPythonIso(state.timestamp),
      'prefect.state-type': state.type,
    },
    related,
    payload: {
      intended: { from: previous?.type ?? null, to: input.intendedType },
      initial_state: statePayload(previous),
      validated_state: statePayload(state),
    },
    follows: tight && previous ? previous.id : null,
  };
}
