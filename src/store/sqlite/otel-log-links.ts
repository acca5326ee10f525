/**
 * SQLite: OTLP log records and the runs of their spans (ADR 41, ADR 48). The append records each
 * record's id and, for a record whose span has not joined a run, a waiting row; the span
 * projection, when it joins spans to runs, calls `linkWaitingLogs`, which gives the waiting records
 * their run and moves the statistics kept per run. All of it runs inside the caller's transaction.
 */
import type { LogRow, NewLog } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { SpanRuns } from '../contract.ts';
import { candidateRuns, settled, spanRuns, waitedSpans } from '../shared/otel-runs.ts';
import type { Db } from './db.ts';
import { addLogStats } from './log-stats.ts';

/** The runs OTel spans (UUID form) belong to (`OtelStore.runsOfSpans`). */
export function readSpanRuns(db: Db, ws: number, spanIds: string[]): Map<string, SpanRuns> {
  if (spanIds.length === 0) return new Map();
  const ids = JSON.stringify([...new Set(spanIds)]);
  const pairs = (sql: string, ...params: (string | number)[]) =>
    db.stmt(sql).all(...params) as { k: string; v: string | null }[];
  const linked = new Map(
    pairs(
      'SELECT l.otel_span_id AS k, l.run_id AS v FROM json_each(?) j CROSS JOIN otel_links l WHERE l.ws = ? AND l.otel_span_id = j.value',
      ids,
      ws,
    ).map((r) => [r.k, r.v as string]),
  );
  const placed = new Map(
    pairs(
      "SELECT s.span_id AS k, s.path AS v FROM json_each(?) j CROSS JOIN spans s WHERE s.ws = ? AND s.span_id = j.value AND s.span_type = 'otel'",
      ids,
      ws,
    ).map((r) => [r.k, JSON.parse(r.v as string) as string[]]),
  );
  const runs = JSON.stringify(candidateRuns(linked, placed));
  const taskFlow = new Map(
    pairs(
      'SELECT t.id AS k, t.flow_run_id AS v FROM json_each(?) j CROSS JOIN task_runs t WHERE t.ws = ? AND t.id = j.value',
      runs,
      ws,
    ).map((r) => [r.k, r.v]),
  );
  const flowRuns = new Set(
    pairs(
      'SELECT f.id AS k FROM json_each(?) j CROSS JOIN flow_runs f WHERE f.ws = ? AND f.id = j.value',
      runs,
      ws,
    ).map((r) => r.k),
  );
  return spanRuns(spanIds, linked, placed, taskFlow, flowRuns);
}

/**
 * First thing in the append: the spans of records that wait for one may have joined a run since
 * the caller looked: those records take that run instead of waiting. Expired waiting rows of their
 * workspaces are pruned (twice as many as records here wait: the table stays about one window of
 * arrivals). Returns the logs to store.
 */
export function settleWaiting(db: Db, logs: NewLog[], keyOf: (l: NewLog) => number): NewLog[] {
  const spans = waitedSpans(logs, keyOf);
  if (spans.size === 0) return logs;
  const runs = new Map<number, Map<string, SpanRuns>>();
  for (const [ws, ids] of spans) {
    db.stmt(
      `DELETE FROM otel_log_pending WHERE rowid IN
        (SELECT rowid FROM otel_log_pending WHERE ws = ? AND link_until < ? ORDER BY link_until LIMIT ?)`,
    ).run(ws, nowMicros(), 2 * ids.length);
    runs.set(ws, readSpanRuns(db, ws, ids));
  }
  return settled(logs, keyOf, runs);
}

/** Last in the append: the ids of OTLP records (`logs[i]` stored as `rows[i]` in workspace `keys[i]`) and their waiting rows. */
export function recordOtlpLogs(db: Db, logs: NewLog[], rows: LogRow[], keys: number[]): void {
  for (let i = 0; i < logs.length; i++) {
    const mark = logs[i].otlp;
    if (!mark) continue;
    db.stmt('INSERT INTO otel_log_ids (ws, id, stored) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(
      keys[i],
      rows[i].id,
      rows[i].created,
    );
    if (mark.waitFor)
      db.stmt('INSERT INTO otel_log_pending (ws, seq, span_id, timestamp, link_until) VALUES (?, ?, ?, ?, ?)').run(
        keys[i],
        rows[i].seq,
        mark.waitFor.spanId,
        rows[i].timestamp,
        mark.waitFor.until,
      );
  }
}

/**
 * Gives the records waiting for these OTel spans — or for the OTel spans that stand for these runs
 * (`runs`: runs just written, which may be what a link was waiting for) — the run their span now
 * belongs to, when it belongs to one and their window is open; per-run counters and per-run logger
 * statistics follow (the workspace's logger statistics already count them). Waiting rows go once
 * linked, when expired, or when their log is gone. Returns how many logs were linked.
 */
export function linkWaitingLogs(db: Db, ws: number, spans: Iterable<string>, runs: Iterable<string> = []): number {
  // Most writes have nothing waiting: one probe.
  if (!db.stmt('SELECT 1 FROM otel_log_pending WHERE ws = ? LIMIT 1').get(ws)) return 0;
  const waiting = db
    .stmt(
      `SELECT seq, span_id, link_until FROM otel_log_pending WHERE ws = ?1 AND span_id IN (
         SELECT value FROM json_each(?2)
         UNION SELECT l.otel_span_id FROM json_each(?3) r CROSS JOIN otel_links l WHERE l.ws = ?1 AND l.run_id = r.value)`,
    )
    .all(ws, JSON.stringify([...spans]), JSON.stringify([...runs])) as {
    seq: number;
    span_id: string;
    link_until: number;
  }[];
  if (waiting.length === 0) return 0;
  const now = nowMicros();
  const runsOf = readSpanRuns(
    db,
    ws,
    waiting.filter((w) => w.link_until >= now).map((w) => w.span_id),
  );
  const update = db.stmt(
    `UPDATE logs SET flow_run_id = ?, task_run_id = ? WHERE seq = ? AND ws = ? AND flow_run_id IS NULL AND task_run_id IS NULL
     RETURNING seq, level, name, timestamp, flow_run_id`,
  );
  const done = db.stmt('DELETE FROM otel_log_pending WHERE ws = ? AND seq = ?');
  const linked: Pick<LogRow, 'seq' | 'level' | 'name' | 'timestamp' | 'flow_run_id'>[] = [];
  for (const w of waiting) {
    const run = w.link_until >= now ? runsOf.get(w.span_id) : undefined;
    if (w.link_until >= now && !run) continue;
    if (run) {
      const row = update.get(run.flow_run_id, run.task_run_id, w.seq, ws) as (typeof linked)[number] | undefined;
      if (row) linked.push(row);
    }
    done.run(ws, w.seq);
  }
  addLogStats(
    db,
    linked,
    linked.map(() => ws),
    false,
  );
  return linked.length;
}
