/**
 * Run states: Prefect's `StateType`, `StateDetails`, `StateCreate` (what clients propose) and
 * `State` (what is stored and rendered). State ids and timestamps are always minted by Sightline.
 */
import type { Issue } from '../../lib/schema.ts';
import {
  any,
  bool,
  INVALID,
  jsonObject,
  keyText,
  type Loc,
  literal,
  named,
  nullable,
  object,
  optional,
  orNull,
  record,
  type Schema,
  str,
} from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatNullable, type Micros } from '../time.ts';

export const STATE_TYPES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
] as const;
export type StateType = (typeof STATE_TYPES)[number];
export const stateTypeSchema = literal(STATE_TYPES);

export const TERMINAL_TYPES: ReadonlySet<StateType> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

export function isTerminal(type: StateType | null | undefined): boolean {
  return type != null && TERMINAL_TYPES.has(type);
}

/** The name Prefect gives a state proposed without one: the type, capitalised. */
export function defaultStateName(type: StateType): string {
  return type[0] + type.slice(1).toLowerCase();
}

/**
 * `StateDetails`: every key is always present when rendered. An explicit `null` sent by the client
 * is kept (Prefect echoes `"deferred": null` back), an absent key takes Prefect's default.
 */
export const stateDetailsSchema = object(
  {
    flow_run_id: optional(uuid()),
    task_run_id: optional(uuid()),
    child_flow_run_id: optional(uuid()),
    scheduled_time: optional(datetime()),
    cache_key: optional(str()),
    cache_expiration: optional(datetime()),
    deferred: nullable(bool(), () => false),
    untrackable_result: optional(bool(), () => false),
    pause_timeout: optional(datetime()),
    pause_reschedule: optional(bool(), () => false),
    pause_key: optional(str()),
    run_input_keyset: optional(record(str())),
    refresh_cache: optional(bool()),
    retriable: optional(bool()),
    transition_id: optional(uuid()),
    task_parameters_id: optional(uuid()),
    traceparent: optional(str()),
    deployment_concurrency_lease_id: optional(uuid()),
  },
  { extra: 'ignore' },
);

/** Stored and rendered form: times as microseconds, every key present (null when unset). */
export interface StateDetails {
  flow_run_id: string | null;
  task_run_id: string | null;
  child_flow_run_id: string | null;
  scheduled_time: Micros | null;
  cache_key: string | null;
  cache_expiration: Micros | null;
  deferred: boolean | null;
  untrackable_result: boolean;
  pause_timeout: Micros | null;
  pause_reschedule: boolean;
  pause_key: string | null;
  run_input_keyset: Record<string, string> | null;
  refresh_cache: boolean | null;
  retriable: boolean | null;
  transition_id: string | null;
  task_parameters_id: string | null;
  traceparent: string | null;
  deployment_concurrency_lease_id: string | null;
}

const DETAIL_KEYS = Object.keys(stateDetailsSchema.fields) as (keyof StateDetails)[];

/** Fills every key of a parsed (partial) `StateDetails` with its default. */
export function completeDetails(parsed: Partial<StateDetails>): StateDetails {
  const out: Record<string, unknown> = {};
  for (const k of DETAIL_KEYS) {
    const v = parsed[k];
    out[k] = v === undefined ? (stateDetailsSchema.fields[k].default?.() ?? null) : v;
  }
  return out as unknown as StateDetails;
}

export function emptyDetails(): StateDetails {
  return completeDetails({});
}

/** Parses a `StateDetails` object leniently (unknown keys dropped); invalid values are issues. */
export function parseDetails(value: unknown, loc: Loc, issues: Issue[]): StateDetails | typeof INVALID {
  if (value === undefined || value === null) return emptyDetails();
  const r = stateDetailsSchema.parse(value, loc, issues);
  return r === INVALID ? r : completeDetails(r as Partial<StateDetails>);
}

export function renderDetails(d: StateDetails): Record<string, unknown> {
  return {
    ...d,
    scheduled_time: formatNullable(d.scheduled_time),
    cache_expiration: formatNullable(d.cache_expiration),
    pause_timeout: formatNullable(d.pause_timeout),
  };
}

/** A state as proposed by a client: `StateCreate` (extra keys are rejected, as by Prefect). */
export interface ProposedState {
  type: StateType;
  name: string;
  message: string | null;
  data: unknown;
  state_details: StateDetails;
}

const stateCreateShape = object({
  type: stateTypeSchema,
  name: optional(keyText({ max: 5000 })),
  message: optional(str()),
  data: optional(any()),
  state_details: optional(any()),
});

export const stateCreateSchema: Schema<ProposedState> = {
  parse(value, loc, issues) {
    const r = stateCreateShape.parse(value, loc, issues);
    if (r === INVALID) return INVALID;
    const details = parseDetails(r.state_details, [...loc, 'state_details'], issues);
    if (details === INVALID) return INVALID;
    return {
      type: r.type,
      name: r.name ?? defaultStateName(r.type),
      message: r.message ?? null,
      data: r.data ?? null,
      state_details: details,
    };
  },
  json: () => {
    const j = stateCreateShape.json() as { properties: Record<string, unknown> };
    return { ...j, properties: { ...j.properties, state_details: stateDetailsSchema.json() } };
  },
  describe() {
    return stateCreateSchema;
  },
};

/** A stored state (`State`). */
export interface StateRow extends ProposedState {
  id: string;
  timestamp: Micros;
}

/** `State`, as `renderState` writes it (`state_details` has every key of `StateDetails`). */
export const stateSchema = named(
  'State',
  object({
    id: uuid(),
    type: stateTypeSchema,
    name: str(),
    timestamp: orNull(datetime()),
    message: orNull(str()),
    data: any(),
    state_details: jsonObject(),
  }),
);

export function renderState(s: StateRow): Record<string, unknown> {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    timestamp: formatNullable(s.timestamp),
    message: s.message,
    data: s.data,
    state_details: renderDetails(s.state_details),
  };
}

/** Builds a state from parts, with Prefect's default name; used by policies and tests. */
export function makeState(
  type: StateType,
  opts: { name?: string; message?: string | null; data?: unknown; details?: Partial<StateDetails> } = {},
): ProposedState {
  return {
    type,
    name: opts.name ?? defaultStateName(type),
    message: opts.message ?? null,
    data: opts.data ?? null,
    state_details: completeDetails(opts.details ?? {}),
  };
}
