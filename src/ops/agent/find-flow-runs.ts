/** `find-flow-runs`: runs by flow name, state, tag, name text and start time, newest first. */
import { parseWindow } from '../../domain/agent/arguments.ts';
import type { FindFlowRunsInput } from '../../domain/agent/tools.ts';
import { STATE_TYPES, type StateType } from '../../domain/runs/states.ts';
import { nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { makeCursor, readCursor } from './cursors.ts';
import { fit } from './fit.ts';
import { runRow } from './runs.ts';

/** Splits `states` into types (FAILED, any case) and names (Retrying, exact). */
export function splitStates(states: string[] | undefined): { stateTypes?: StateType[]; stateNames?: string[] } {
  if (!states) return {};
  const types: StateType[] = [];
  const names: string[] = [];
  for (const s of states) {
    const t = s.toUpperCase() as StateType;
    if (STATE_TYPES.includes(t)) types.push(t);
    else names.push(s);
  }
  return { ...(types.length ? { stateTypes: types } : {}), ...(names.length ? { stateNames: names } : {}) };
}

export async function findFlowRuns(
  ctx: OpContext,
  input: FindFlowRunsInput,
  maxChars?: number,
): Promise<Record<string, unknown>> {
  const now = nowMicros();
  const window = parseWindow(input.since, input.until, now);
  const offset = input.cursor ? readCursor<{ o: number }>(ctx, 'find-flow-runs', 'cursor', input.cursor).o : 0;
  const { rows, total } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    ...splitStates(input.states),
    ...(input.flow_name ? { flowName: input.flow_name } : {}),
    ...(input.tags ? { tags: input.tags } : {}),
    ...(input.text ? { search: input.text } : {}),
    ...(input.include_subflows ? {} : { rootsOnly: true }),
    ...(window.since !== undefined ? { startedFrom: window.since } : {}),
    ...(window.until !== undefined ? { startedBefore: window.until } : {}),
    descending: true,
    limit: input.limit,
    offset,
  });
  const after = (n: number) => (offset + n < total ? makeCursor(ctx, 'find-flow-runs', { o: offset + n }) : null);
  const runs = rows.map((r) => runRow(r, now));
  return fit(
    { runs, total, next_cursor: after(runs.length) },
    {
      key: 'runs',
      maxChars,
      keep: 'head',
      continueAfter: (kept) => {
        const cursor = after(kept.length);
        return { next_cursor: cursor, ...(cursor ? { next: { ...input, cursor } } : {}) };
      },
    },
  );
}
