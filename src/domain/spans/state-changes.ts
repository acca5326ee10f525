/**
 * The state changes a waterfall marks on each span's bar: the states a run entered (type, name,
 * time; no message, data or details), read for the spans on screen in one request, the latest
 * `STATE_CHANGES_PER_SPAN` of each (a run retried thousands of times still answers small).
 */
import { array, int, named, object, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { type StateType, stateTypeSchema } from '../runs/states.ts';
import { datetime, formatMicros, type Micros } from '../time.ts';

/** Most spans one request may name (a screenful of rows is well under it). */
export const STATE_CHANGES_SPANS_MAX = 200;
/** Most states returned per span: its latest ones. */
export const STATE_CHANGES_PER_SPAN = 50;

export const stateChangesBodySchema = object({
  span_ids: array(uuid(), { max: STATE_CHANGES_SPANS_MAX }).describe(
    `Spans of the trace (≤ ${STATE_CHANGES_SPANS_MAX}); ids of other traces and artifacts are left out`,
  ),
});

export interface StateChange {
  type: StateType;
  name: string;
  timestamp: Micros;
}

/** A run's latest state changes, oldest first, and how many states it has in all. */
export interface StateChanges {
  states: StateChange[];
  total: number;
}

/** `StateChanges`, as `renderStateChanges` writes them. */
export const stateChangesSchema = named(
  'StateChanges',
  object({
    states: array(object({ type: stateTypeSchema, name: str(), timestamp: datetime() })),
    total: int({ min: 0 }),
  }),
);

export function renderStateChanges(c: StateChanges): Record<string, unknown> {
  return {
    states: c.states.map((s) => ({ type: s.type, name: s.name, timestamp: formatMicros(s.timestamp) })),
    total: c.total,
  };
}
