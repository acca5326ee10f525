/**
 * Observed states and tags (Prefect Cloud's `ObservedState`, `ObservedTag`): what a workspace, a
 * trace or a subtree of spans has used, for autocomplete and filter options. Engines aggregate;
 * prefix matching and ordering live here so that every engine answers identically.
 */
import { int, named, object, str } from '../../lib/schema.ts';
import type { ObservedSort } from '../observed-sorts.ts';
import { stateTypeSchema } from '../runs/states.ts';
import { datetime, formatMicros, type Micros } from '../time.ts';

export const OBSERVED_QUERY_MAX = 100;
export const OBSERVED_STATES_LIMIT_WORKSPACE = 200;
export const OBSERVED_STATES_LIMIT_WORKSPACE_MAX = 200;
export const OBSERVED_STATES_LIMIT_TRACE = 100;
export const OBSERVED_STATES_LIMIT_TRACE_MAX = 500;

/** A state type/name pair with the earliest and latest timestamp of a state of that pair. */
export interface ObservedState {
  state_type: string;
  state_name: string;
  first_seen: Micros;
  last_seen: Micros;
}

export interface ObservedTag {
  tag: string;
  /** Spans carrying the tag. */
  count: number;
}

export interface ObservedStateQuery {
  /** Case-insensitive prefix of the state type or of the state name. */
  prefix?: string;
  orderBy: ObservedSort;
  limit: number;
}

function startsWithCI(text: string, prefix: string): boolean {
  return text.toLowerCase().startsWith(prefix);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Filters, orders and limits observed states. `NAME_ASC`: by state name, then type;
 * `LAST_SEEN_DESC`: most recent first, ties by name, then type.
 */
export function selectObservedStates(all: ObservedState[], q: ObservedStateQuery): ObservedState[] {
  const p = q.prefix?.toLowerCase();
  const kept = p ? all.filter((s) => startsWithCI(s.state_type, p) || startsWithCI(s.state_name, p)) : [...all];
  const byName = (a: ObservedState, b: ObservedState) =>
    byCodePoint(a.state_name, b.state_name) || byCodePoint(a.state_type, b.state_type);
  kept.sort(q.orderBy === 'NAME_ASC' ? byName : (a, b) => b.last_seen - a.last_seen || byName(a, b));
  return kept.slice(0, q.limit);
}

/** Filters (case-insensitive tag prefix) and orders observed tags: count descending, then tag. */
export function selectObservedTags(all: ObservedTag[], prefix: string | undefined): ObservedTag[] {
  const p = prefix?.toLowerCase();
  const kept = p ? all.filter((t) => startsWithCI(t.tag, p)) : [...all];
  return kept.sort((a, b) => b.count - a.count || byCodePoint(a.tag, b.tag));
}

export const observedStateSchema = named(
  'ObservedState',
  object({ state_type: stateTypeSchema, state_name: str(), first_seen: datetime(), last_seen: datetime() }),
);
export const observedTagSchema = named('ObservedTag', object({ tag: str(), count: int({ min: 0 }) }));

export function renderObservedState(s: ObservedState): Record<string, unknown> {
  return {
    state_type: s.state_type,
    state_name: s.state_name,
    first_seen: formatMicros(s.first_seen),
    last_seen: formatMicros(s.last_seen),
  };
}

export function renderObservedTag(t: ObservedTag): Record<string, unknown> {
  return { tag: t.tag, count: t.count };
}
