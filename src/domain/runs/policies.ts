/**
 * Retry policies: `FlowRunPolicy` and `TaskRunPolicy` (`empirical_policy`), with Prefect's
 * back-filling of the deprecated `max_retries` / `retry_delay_seconds` fields.
 */
import {
  array,
  bool,
  type Infer,
  int,
  literal,
  nullable,
  num,
  object,
  oneOf,
  optional,
  str,
} from '../../lib/schema.ts';

export const flowRunPolicySchema = object(
  {
    max_retries: optional(int(), () => 0),
    retry_delay_seconds: optional(num(), () => 0),
    retries: optional(int()),
    retry_delay: optional(int()),
    pause_keys: optional(array(str())),
    resuming: nullable(bool(), () => false),
    retry_type: optional(literal(['in_process', 'reschedule'] as const)),
  },
  { extra: 'ignore' },
);

export interface FlowRunPolicy {
  max_retries: number;
  retry_delay_seconds: number;
  retries: number | null;
  retry_delay: number | null;
  pause_keys: string[];
  resuming: boolean | null;
  retry_type: 'in_process' | 'reschedule' | null;
}

/**
 * The retry fields both policies share: the deprecated `max_retries`/`retry_delay_seconds` default
 * to 0 and stand in for `retries`/`retry_delay` when those are unset.
 */
function legacyRetries(p: { max_retries?: number; retry_delay_seconds?: number; retries?: number } | undefined) {
  const max = p?.max_retries ?? 0;
  return {
    max_retries: max,
    retry_delay_seconds: p?.retry_delay_seconds ?? 0,
    retries: p?.retries ?? (max !== 0 ? max : null),
  };
}

export function normalizeFlowRunPolicy(p: Infer<typeof flowRunPolicySchema> | undefined): FlowRunPolicy {
  const legacy = legacyRetries(p);
  return {
    ...legacy,
    retry_delay: p?.retry_delay ?? (legacy.retry_delay_seconds !== 0 ? Math.trunc(legacy.retry_delay_seconds) : null),
    pause_keys: [...new Set(p?.pause_keys ?? [])],
    resuming: p?.resuming === undefined ? false : p.resuming,
    retry_type: p?.retry_type ?? null,
  };
}

export const taskRunPolicySchema = object(
  {
    max_retries: optional(int(), () => 0),
    retry_delay_seconds: optional(num(), () => 0),
    retries: optional(int()),
    retry_delay: optional(oneOf<number | number[]>(num(), array(num(), { max: 50 }))),
    retry_jitter_factor: optional(num({ min: 0 })),
  },
  { extra: 'ignore' },
);

export interface TaskRunPolicy {
  max_retries: number;
  retry_delay_seconds: number;
  retries: number | null;
  retry_delay: number | number[] | null;
  retry_jitter_factor: number | null;
}

export function normalizeTaskRunPolicy(p: Infer<typeof taskRunPolicySchema> | undefined): TaskRunPolicy {
  const legacy = legacyRetries(p);
  return {
    ...legacy,
    retry_delay: p?.retry_delay ?? (legacy.retry_delay_seconds !== 0 ? legacy.retry_delay_seconds : null),
    retry_jitter_factor: p?.retry_jitter_factor ?? null,
  };
}
