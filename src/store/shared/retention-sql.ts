/**
 * Retention SQL both engines share (ADR 25: shared reads): which traces have expired. A trace goes
 * when its root is a flow run in a terminal state and every span in it — runs, artifacts — ended,
 * or without an end last changed state, before the cutoff; a span still in a non-terminal state
 * keeps its whole trace.
 */
import { TERMINAL_TYPES } from '../../domain/runs/states.ts';

const TERMINAL = [...TERMINAL_TYPES].map((t) => `'${t}'`).join(', ');

/** Parameters: workspace key, cutoff, cutoff, limit — `?` placeholders (PostgreSQL renumbers them). */
export const EXPIRED_TRACES_SQL = `
  SELECT r.span_id AS id FROM spans r
  WHERE r.ws = ? AND r.depth = 0 AND r.span_type = 'flow-run' AND r.state_type IN (${TERMINAL})
    AND coalesce(r.end_time, r.state_timestamp, 0) < ?
    AND NOT EXISTS (
      SELECT 1 FROM spans s WHERE s.ws = r.ws AND s.trace_id = r.trace_id AND (
        (s.state_type IS NOT NULL AND s.state_type NOT IN (${TERMINAL}))
        OR coalesce(s.end_time, s.state_timestamp, s.start_time, 0) >= ?))
  ORDER BY r.span_id LIMIT ?`;
