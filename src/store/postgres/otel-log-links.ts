/**
 * PostgreSQL: OTLP log records and the runs of their spans, as on SQLite (`sqlite/otel-log-links.ts`,
 * ADR 41, ADR 48). Everything runs on the caller's transaction client.
 */
import type { LogRow, NewLog } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { SpanRuns } from '../contract.ts';
import { candidateRuns, settled, spanRuns, waitedSpans } from '../shared/otel-runs.ts';
import { otelLockKey, type Queryable } from './db.ts';
import { updateLogStats } from './log-stats.ts';

/** The runs OTel spans (UUID form) belong to (`OtelStore.runsOfSpans`). */
export async function readSpanRuns(q: Queryable, ws: number, spanIds: string[]): Promise<Map<string, SpanRuns>> {
  if (spanIds.length === 0) return new Map();
  const ids = [...new Set(spanIds)];
  const l = await q.query(
    'SELECT otel_span_id, run_id FROM otel_links WHERE ws = $1 AND otel_span_id = ANY($2::text[])',
    [ws, ids],
  );
  const s = await q.query(
    "SELECT span_id, path FROM spans WHERE ws = $1 AND span_id = ANY($2::text[]) AND span_type = 'otel'",
    [ws, ids],
  );
  const linked = new Map((l.rows as { otel_span_id: string; run_id: string }[]).map((r) => [r.otel_span_id, r.run_id]));
  const placed = new Map(
    (s.rows as { span_id: string; path: string }[]).map((r) => [r.span_id, JSON.parse(r.path) as string[]]),
  );
  const runs = candidateRuns(linked, placed);
  if (!runs.length) return new Map();
  const t = await q.query('SELECT id, flow_run_id FROM task_runs WHERE ws = $1 AND id = ANY($2::text[])', [ws, runs]);
  const f = await q.query('SELECT id FROM flow_runs WHERE ws = $1 AND id = ANY($2::text[])', [ws, runs]);
  const taskFlow = new Map((t.rows as { id: string; flow_run_id: string | null }[]).map((r) => [r.id, r.flow_run_id]));
  const flowRuns = new Set((f.rows as { id: string }[]).map((r) => r.id));
  return spanRuns(spanIds, linked, placed, taskFlow, flowRuns);
}

/**
 * First thing in the append, as on SQLite (`settleWaiting` there), after taking the OTel write lock
 * of each workspace with waiting records — before any row lock: the append and a transaction
 * writing OTel spans (which links waiting records under that lock) then see each other's commit,
 * and cannot deadlock.
 */
export async function settleWaiting(c: Queryable, logs: NewLog[], keyOf: (l: NewLog) => number): Promise<NewLog[]> {
  const spans = waitedSpans(logs, keyOf);
  if (spans.size === 0) return logs;
  const runs = new Map<number, Map<string, SpanRuns>>();
  for (const [ws, ids] of [...spans].sort((a, b) => a[0] - b[0])) {
    await c.query('SELECT pg_advisory_xact_lock($1)', [otelLockKey(ws)]);
    await c.query(
      `DELETE FROM otel_log_pending WHERE ws = $1 AND seq IN
        (SELECT seq FROM otel_log_pending WHERE ws = $1 AND link_until < $2 ORDER BY link_until LIMIT $3)`,
      [ws, nowMicros(), 2 * ids.length],
    );
    runs.set(ws, await readSpanRuns(c, ws, ids));
  }
  return settled(logs, keyOf, runs);
}

/** Last in the append: the ids of OTLP records (`logs[i]` stored as `rows[i]` in workspace `keys[i]`) and their waiting rows. */
export async function recordOtlpLogs(c: Queryable, logs: NewLog[], rows: LogRow[], keys: number[]): Promise<void> {
  const ids: { ws: number[]; id: string[]; stored: number[] } = { ws: [], id: [], stored: [] };
  const wait: { ws: number[]; seq: number[]; span: string[]; ts: number[]; until: number[] } = {
    ws: [],
    seq: [],
    span: [],
    ts: [],
    until: [],
  };
  for (let i = 0; i < logs.length; i++) {
    const mark = logs[i].otlp;
    if (!mark) continue;
    ids.ws.push(keys[i]);
    ids.id.push(rows[i].id);
    ids.stored.push(rows[i].created);
    if (!mark.waitFor) continue;
    wait.ws.push(keys[i]);
    wait.seq.push(rows[i].seq);
    wait.span.push(mark.waitFor.spanId);
    wait.ts.push(rows[i].timestamp);
    wait.until.push(mark.waitFor.until);
  }
  if (ids.id.length)
    await c.query(
      `INSERT INTO otel_log_ids (ws, id, stored) SELECT * FROM unnest($1::int[], $2::text[], $3::int8[])
       ON CONFLICT DO NOTHING`,
      [ids.ws, ids.id, ids.stored],
    );
  if (wait.seq.length)
    await c.query(
      `INSERT INTO otel_log_pending (ws, seq, span_id, "timestamp", link_until)
       SELECT * FROM unnest($1::int[], $2::int8[], $3::text[], $4::int8[], $5::int8[])`,
      [wait.ws, wait.seq, wait.span, wait.ts, wait.until],
    );
}

/**
 * As on SQLite: links the records waiting for these spans (or for the OTel spans of these runs).
 * Two transactions linking one record cannot both count it: the second's update of the log waits
 * for the first's and then finds it linked.
 */
export async function linkWaitingLogs(
  c: Queryable,
  ws: number,
  spans: Iterable<string>,
  runs: Iterable<string> = [],
): Promise<number> {
  const r = await c.query(
    `SELECT seq, span_id, "timestamp", link_until FROM otel_log_pending WHERE ws = $1 AND span_id IN (
       SELECT unnest($2::text[]) UNION SELECT otel_span_id FROM otel_links WHERE ws = $1 AND run_id = ANY($3::text[]))
     ORDER BY seq`,
    [ws, [...spans], [...runs]],
  );
  const waiting = r.rows as { seq: number; span_id: string; timestamp: number; link_until: number }[];
  if (waiting.length === 0) return 0;
  const now = nowMicros();
  const open = waiting.filter((w) => w.link_until >= now);
  const runsOf = await readSpanRuns(
    c,
    ws,
    open.map((w) => w.span_id),
  );
  const link = {
    seq: [] as number[],
    ts: [] as number[],
    flow: [] as (string | null)[],
    task: [] as (string | null)[],
  };
  const done: number[] = [];
  for (const w of waiting) {
    const isOpen = w.link_until >= now;
    const run = isOpen ? runsOf.get(w.span_id) : undefined;
    if (isOpen && !run) continue;
    done.push(w.seq);
    if (!run) continue;
    link.seq.push(w.seq);
    link.ts.push(w.timestamp);
    link.flow.push(run.flow_run_id);
    link.task.push(run.task_run_id);
  }
  await c.query('DELETE FROM otel_log_pending WHERE ws = $1 AND seq = ANY($2::int8[])', [ws, done]);
  if (!link.seq.length) return 0;
  const moved = await c.query(
    `UPDATE logs l SET flow_run_id = v.flow_run_id, task_run_id = v.task_run_id
     FROM unnest($2::int8[], $3::int8[], $4::uuid[], $5::uuid[]) AS v(seq, ts, flow_run_id, task_run_id)
     WHERE l.ws = $1 AND l."timestamp" = v.ts AND l.seq = v.seq AND l.flow_run_id IS NULL AND l.task_run_id IS NULL
     RETURNING l.seq, l.level, l.name, l."timestamp", l.flow_run_id::text AS flow_run_id`,
    [ws, link.seq, link.ts, link.flow, link.task],
  );
  const rows = moved.rows as Pick<LogRow, 'seq' | 'level' | 'name' | 'timestamp' | 'flow_run_id'>[];
  await updateLogStats(
    c,
    rows,
    rows.map(() => ws),
    false,
  );
  return rows.length;
}
