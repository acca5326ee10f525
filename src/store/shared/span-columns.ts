/**
 * A span's stored column values, shared by every engine: which columns a span's source and
 * placement determine, and how they are serialised (JSON as text, one way), so that "did the span
 * change?" is a comparison of stored values on every engine.
 */
import type { SpanFields } from '../../domain/spans/placement.ts';
import { spanSearchText } from '../../domain/spans/sources.ts';
import { sortStart } from '../../domain/spans/span.ts';

/** The columns a span's source and placement determine, in table order (`ws`, `span_id` aside). */
export const FIELD_COLUMNS = [
  'trace_id',
  'parent_span_id',
  'path',
  'depth',
  'span_type',
  'name',
  'start_time',
  'end_time',
  'sort_start',
  'total_run_time',
  'state_type',
  'state_name',
  'state_timestamp',
  'tags',
  'attributes',
  'search',
] as const;

/** Stored values of those columns; JSON is serialised the one way every write uses. */
/** The columns a read needs (`search` and `sort_start` are for the database only). */
export const SPAN_SELECT = `SELECT s.span_id, s.trace_id, s.parent_span_id, s.path, s.depth, s.span_type, s.name, s.start_time, s.end_time,
  s.total_run_time, s.state_type, s.state_name, s.state_timestamp, s.tags, s.attributes, s.version, s.published, s.child_count,
  s.child_state_counts FROM spans s`;

export type SpanColumns = Record<(typeof FIELD_COLUMNS)[number], string | number | null>;

export function spanColumns(f: SpanFields): SpanColumns {
  return {
    trace_id: f.trace_id,
    parent_span_id: f.parent_span_id,
    path: JSON.stringify(f.path),
    depth: f.depth,
    span_type: f.span_type,
    name: f.name,
    start_time: f.start_time,
    end_time: f.end_time,
    sort_start: sortStart(f.start_time),
    total_run_time: f.total_run_time,
    state_type: f.state_type,
    state_name: f.state_name,
    state_timestamp: f.state_timestamp,
    tags: JSON.stringify(f.tags),
    attributes: JSON.stringify(f.attributes),
    search: spanSearchText(f),
  };
}

/** True when a stored row holds exactly these values (compared as stored: no parsing). */
export function sameColumns(row: Record<string, unknown>, c: SpanColumns): boolean {
  for (const k of FIELD_COLUMNS) {
    const v = row[k];
    // An engine may hand JSON columns back parsed (PostgreSQL jsonb).
    if ((v !== null && typeof v === 'object' ? JSON.stringify(v) : v) !== c[k]) return false;
  }
  return true;
}
