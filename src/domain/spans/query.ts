/** Reading spans: the filters of `GET /traces/{trace_id}` and the limits of every span read. */
import type { StateType } from '../runs/states.ts';
import type { TextQuery } from '../text-query.ts';
import type { SpanPosition, SpanType } from './span.ts';

export const SPANS_LIMIT_DEFAULT = 100;
export const SPANS_LIMIT_MAX = 1000;
export const SPAN_QUERY_MAX = 200;
export const CONTEXT_SIZE_DEFAULT = 10;
export const CONTEXT_SIZE_MAX = 100;
/** Most ids one `GET /traces/{trace_id}/spans?ids=` may ask for. */
export const SPAN_IDS_MAX = 1000;
/** Most values one list filter (`tags`, `state_names`, …) may carry. */
export const FILTER_VALUES_MAX = 100;

/** Conditions on the spans of one trace; absent members add no condition, lists are any-of. */
export interface SpanFilters {
  parent_span_id?: string;
  depth?: number;
  entities?: SpanType[];
  state_types?: StateType[];
  state_names?: string[];
  tags?: string[];
  /** Prefect's text grammar over the span's name, tags and attribute values. */
  text?: TextQuery;
}

/** One page of a trace's spans in span order (or its reverse), strictly after `after`. */
export interface SpanListQuery {
  filters: SpanFilters;
  descending: boolean;
  after?: SpanPosition;
  limit: number;
}
