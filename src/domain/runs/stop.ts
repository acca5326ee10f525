/**
 * A stop (`POST /api/v1/flow-runs/{id}/stop`) leaves a running run CANCELLING with this message;
 * the client's next proposal is aborted with it, and the server then sets CANCELLED.
 */
import type { StateRow } from './states.ts';

export const STOPPED = 'The run was stopped';

export function wasStopped(state: Pick<StateRow, 'type' | 'message'> | null): boolean {
  return state?.type === 'CANCELLING' && state.message === STOPPED;
}
