/** `OrchestrationResult` as Prefect renders it, from a policy decision. */
import type { Decision } from '../../domain/runs/orchestration.ts';
import { renderState, type StateRow, stateSchema } from '../../domain/runs/states.ts';
import { literal, named, num, object, optional, orNull, str } from '../../lib/schema.ts';

/** `OrchestrationResult`, as `orchestrationResult` writes it. */
export const orchestrationResultSchema = named(
  'OrchestrationResult',
  object({
    state: orNull(stateSchema),
    status: literal(['ACCEPT', 'REJECT', 'ABORT', 'WAIT']),
    details: object({
      type: literal(['accept_details', 'reject_details', 'abort_details', 'wait_details']),
      reason: optional(orNull(str())),
      delay_seconds: optional(num()),
    }),
  }),
);

export interface SetStateResult {
  /** 201 when a new state was written, 200 otherwise. */
  httpStatus: 201 | 200;
  body: { state: Record<string, unknown> | null; status: Decision['status']; details: Record<string, unknown> };
}

export function orchestrationResult(decision: Decision, state: StateRow | null, written: boolean): SetStateResult {
  let details: Record<string, unknown>;
  switch (decision.status) {
    case 'ACCEPT':
      details = { type: 'accept_details' };
      break;
    case 'REJECT':
      details = { type: 'reject_details', reason: decision.reason };
      break;
    case 'ABORT':
      details = { type: 'abort_details', reason: decision.reason };
      break;
    case 'WAIT':
      details = { type: 'wait_details', delay_seconds: decision.delaySeconds, reason: decision.reason };
      break;
  }
  return {
    httpStatus: written ? 201 : 200,
    body: { state: state ? renderState(state) : null, status: decision.status, details },
  };
}
