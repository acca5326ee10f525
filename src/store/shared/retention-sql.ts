/**
 * Retention SQL both engines share (ADR 25: shared reads): which traces have expired. A trace goes
 * when its root is a flow run in a terminal state and every span in it — runs, artifacts — ended,
 * or without an end last changed state, before the cutoff; a span still in a non-terminal state
 * keeps its whole trace. Traces of OTel spans only follow the run setting by their latest span end.
 */
import type { SweepRecord, WorkspaceRetention } from '../../domain/retention.ts';
import { TERMINAL_TYPES } from '../../domain/runs/states.ts';

const TERMINAL = [...TERMINAL_TYPES].map((t) => `'${t}'`).join(', ');

const expired = (rootType: string) => `
  SELECT r.span_id AS id, r.trace_id FROM spans r
  WHERE r.ws = ? AND r.depth = 0 AND r.span_type = '${rootType}' AND r.state_type IN (${TERMINAL})
    AND coalesce(r.end_time, r.state_timestamp, 0) < ?
    AND NOT EXISTS (
      SELECT 1 FROM spans s WHERE s.ws = r.ws AND s.trace_id = r.trace_id AND (
        (s.state_type IS NOT NULL AND s.state_type NOT IN (${TERMINAL}))
        OR coalesce(s.end_time, s.state_timestamp, s.start_time, 0) >= ?))
  ORDER BY r.span_id LIMIT ?`;

/** Parameters: workspace key, cutoff, cutoff, limit — `?` placeholders (PostgreSQL renumbers them). */
export const EXPIRED_TRACES_SQL = expired('flow-run');
/**
 * Traces of OpenTelemetry spans only (a service that is not a Prefect flow), by their latest span
 * end; same parameters. Their root is an `otel` span, and no run is ever placed beneath one.
 */
export const EXPIRED_OTEL_TRACES_SQL = expired('otel');

/** The spans of an OTel-only trace and what they arrived as go together (workspace key, trace id, each twice). */
export const DELETE_OTEL_TRACE_SQL = [
  `DELETE FROM otel_links WHERE ws = ? AND otel_span_id IN (SELECT span_id FROM spans WHERE ws = ? AND trace_id = ? AND span_type = 'otel')`,
  `DELETE FROM otel_spans WHERE ws = ? AND span_id IN (SELECT span_id FROM spans WHERE ws = ? AND trace_id = ? AND span_type = 'otel')`,
];
/** Then the spans themselves (workspace key, trace id). */
export const DELETE_OTEL_SPANS_SQL = `DELETE FROM spans WHERE ws = ? AND trace_id = ? AND span_type = 'otel'`;
/** The oldest OTLP log ids recorded before a time (workspace key, before, limit). */
export const FORGET_OTEL_LOG_IDS_SQL = `DELETE FROM otel_log_ids WHERE (ws, id) IN
  (SELECT ws, id FROM otel_log_ids WHERE ws = ? AND stored < ? ORDER BY stored LIMIT ?)`;
/** Whether a run has joined the trace since it was found expired (workspace key, trace id). */
export const TRACE_HAS_RUN_SQL = `SELECT 1 AS x FROM spans WHERE ws = ? AND trace_id = ? AND span_type <> 'otel' LIMIT 1`;

/** A workspace's own settings (workspace key). */
export const SETTINGS_SQL = 'SELECT logs, events, runs FROM workspace_retention WHERE ws = ?';
/** Parameters: workspace key, logs, events, runs. */
export const SET_SETTINGS_SQL = `INSERT INTO workspace_retention (ws, logs, events, runs) VALUES (?, ?, ?, ?)
  ON CONFLICT (ws) DO UPDATE SET logs = excluded.logs, events = excluded.events, runs = excluded.runs`;
/** The workspace's last sweep (workspace key). */
export const LAST_SWEEP_SQL = 'SELECT started, finished, logs, events, runs, spans FROM retention_sweeps WHERE ws = ?';
/** Parameters: workspace key, then `sweepParams`. */
export const RECORD_SWEEP_SQL = `INSERT INTO retention_sweeps (ws, started, finished, logs, events, runs, spans) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (ws) DO UPDATE SET started = excluded.started, finished = excluded.finished, logs = excluded.logs,
    events = excluded.events, runs = excluded.runs, spans = excluded.spans`;

export const settingsParams = (s: WorkspaceRetention) => [s.logs, s.events, s.runs];
export const sweepParams = (s: SweepRecord) => [
  s.started,
  s.finished,
  s.removed.logs,
  s.removed.events,
  s.removed.runs,
  s.removed.spans,
];

export function settingsOf(r: Record<string, unknown> | undefined): WorkspaceRetention | undefined {
  return r && ({ logs: r.logs, events: r.events, runs: r.runs } as WorkspaceRetention);
}

export function sweepOf(r: Record<string, unknown> | undefined): SweepRecord | undefined {
  if (!r) return undefined;
  const n = (k: string) => r[k] as number;
  return {
    started: n('started'),
    finished: n('finished'),
    removed: { logs: n('logs'), events: n('events'), runs: n('runs'), spans: n('spans') },
  };
}
