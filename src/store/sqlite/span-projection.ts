/**
 * SQLite: the span projection. The run stores call these hooks inside their write transactions
 * (contract: `SpanStore`), so a span never disagrees with its run. Every hook is synchronous and
 * assumes it runs inside `db.tx`. Changes to parents' child counts and to observed states are
 * gathered and applied at the end of the hook — or of a `batch` (the recorder's), once per parent
 * and per state pair, in key order.
 */
import { type OtelSpanRow, otelObserved, otelSpanSource, parentsFirst } from '../../domain/otlp/spans.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import {
  adjustChildCounts,
  type ChildContribution,
  childCountsFrom,
  contributionOf,
  place,
  replant,
  sameContribution,
  spanFields,
} from '../../domain/spans/placement.ts';
import type { SpanPlacement, SpanRow, SpanSource, SpanType } from '../../domain/spans/span.ts';
import { nowMicros } from '../../domain/time.ts';
import { json } from '../shared/run-columns.ts';
import { SPAN_SELECT, sameColumns, spanColumns } from '../shared/span-columns.ts';
import { Deferred } from '../shared/span-deferred.ts';
import type { Db } from './db.ts';
import { linkWaitingLogs } from './otel-log-links.ts';
import { type Row, toSpan } from './run-rows.ts';
import { insertSpan, readSpanSource, updateSpan } from './span-rows.ts';

// CROSS JOIN keeps SQLite from scanning spans once per descendant (it would pick spans as the
// outer loop of the recursive step); UNION stops at ids already seen.
const DESCENDANTS = `WITH RECURSIVE d(id) AS (
    SELECT span_id FROM spans WHERE ws = ?1 AND parent_span_id = ?2
    UNION SELECT s.span_id FROM d CROSS JOIN spans s WHERE s.ws = ?1 AND s.parent_span_id = d.id
  ) SELECT s.span_id, s.trace_id, s.path FROM spans s WHERE s.ws = ?1 AND s.span_id IN (SELECT id FROM d)`;

export class SqliteSpanProjection {
  private readonly db: Db;
  private readonly deferred = new Deferred();
  private batching = false;
  /** OTel spans written in this batch, by `ws` and span id: their source needs no read back. */
  private readonly received = new Map<string, OtelSpanRow>();

  constructor(db: Db) {
    this.db = db;
  }

  /** A flow run was written; `observed` is a state it entered. */
  flowRunChanged(ws: number, id: string, observed?: StateRow): void {
    this.run(() => {
      if (observed) this.deferred.observe(ws, observed);
      this.touch(ws, 'flow-run', id);
    });
  }

  /** A task run was written; `observed` is a state it entered (or that the recorder recorded). */
  taskRunChanged(ws: number, id: string, observed?: StateRow): void {
    this.run(() => {
      if (observed) this.deferred.observe(ws, observed);
      this.touch(ws, 'task-run', id);
    });
  }

  artifactChanged(ws: number, id: string): void {
    this.run(() => this.touch(ws, 'artifact', id));
  }

  /**
   * OTel spans were written (`otel_spans`); their states count as observed. One that names a run
   * (`prefect.run.id`) enriches the run's span and stands for the run: OTel spans under it move
   * under the run.
   */
  otelSpansChanged(ws: number, rows: OtelSpanRow[]): void {
    this.batch(() => {
      const now = nowMicros();
      for (const r of parentsFirst(rows)) {
        if (r.run_id === null) {
          this.received.set(`${ws}\u0000${r.span_id}`, r);
          this.deferred.observe(ws, otelObserved(r));
          this.touch(ws, 'otel', r.span_id);
          continue;
        }
        // A span it may have been before it named a run goes (its source is gone).
        this.touch(ws, 'otel', r.span_id);
        const run = this.db
          .stmt("SELECT span_type FROM spans WHERE ws = ? AND span_id = ? AND span_type IN ('flow-run', 'task-run')")
          .get(ws, r.run_id) as { span_type: SpanType } | undefined;
        if (run) this.resync(ws, run.span_type, r.run_id, now);
        this.link(ws, r.span_id, r.run_id, now);
      }
    });
  }

  /**
   * Records that OTel span `otelSpan` stands for run `runId` (from `__OTEL_TRACEPARENT` or
   * `prefect.run.id`); when that is news, the OTel spans under it are placed again, under the run.
   */
  private link(ws: number, otelSpan: string, runId: string, now: number): void {
    const before = this.linkedRun(ws, otelSpan);
    if (before === runId) return;
    this.db
      .stmt(
        `INSERT INTO otel_links (ws, otel_span_id, run_id) VALUES (?, ?, ?)
          ON CONFLICT (ws, otel_span_id) DO UPDATE SET run_id = excluded.run_id`,
      )
      .run(ws, otelSpan, runId);
    this.deferred.mayJoin(ws, 'span', otelSpan);
    // Its OTel children hang under it, or under the run it stood for until now (ADR 50: found by
    // their spans; resyncing another OTel span of that run changes nothing).
    const children = this.db
      .stmt("SELECT span_id FROM spans WHERE ws = ? AND parent_span_id IN (?, ?) AND span_type = 'otel'")
      .all(ws, otelSpan, before ?? otelSpan) as { span_id: string }[];
    for (const c of children) this.resync(ws, 'otel', c.span_id, now);
  }

  /** Brings the span up to date now, or at the end of the batch. */
  private touch(ws: number, type: SpanType, id: string): void {
    if (this.batching) this.deferred.touch(ws, type, id);
    else this.resync(ws, type, id, nowMicros());
  }

  /** Runs `fn` — many hook calls — and brings each span, parent and observed state up to date once at the end. */
  batch<T>(fn: () => T): T {
    if (this.batching) return fn();
    this.batching = true;
    try {
      const r = fn();
      const now = nowMicros();
      for (const t of this.deferred.spans()) this.resync(t.ws, t.type, t.id, now);
      this.flush();
      return r;
    } finally {
      this.batching = false;
      this.deferred.clear();
      this.received.clear();
    }
  }

  private run(fn: () => void): void {
    if (this.batching) {
      fn();
      return;
    }
    try {
      fn();
      this.flush();
    } finally {
      this.deferred.clear();
    }
  }

  private flush(): void {
    const now = nowMicros();
    for (const p of this.deferred.parents()) this.adjustParent(p.ws, p.parent, p.changes, now);
    for (const o of this.deferred.states()) this.observeState(o.ws, o.type, o.name, o.first, o.last);
    for (const [ws, j] of this.deferred.joins()) linkWaitingLogs(this.db, ws, j.spans, j.runs);
  }

  /**
   * Runs or artifacts with these ids were deleted (their rows are gone): their spans go, their
   * surviving children are placed again, and artifact spans of the affected traces whose
   * artifact went with the runs are removed too.
   */
  removed(ws: number, ids: string[]): void {
    this.run(() => this.removeWithOrphans(ws, ids));
  }

  private removeWithOrphans(ws: number, ids: string[]): void {
    const now = nowMicros();
    const traces = new Set<string>();
    for (const id of ids) {
      const s = this.get(ws, id);
      if (s) traces.add(s.trace_id);
    }
    // OTel spans of user code beneath the runs go with them, with what they arrived as.
    const otel: string[] = [];
    for (const t of traces)
      for (const o of this.db
        .stmt(
          `SELECT s.span_id FROM spans s WHERE s.ws = ? AND s.trace_id = ? AND s.span_type = 'otel'
            AND EXISTS (SELECT 1 FROM json_each(s.path) p WHERE p.value IN (SELECT value FROM json_each(?)))`,
        )
        .all(ws, t, JSON.stringify(ids)) as { span_id: string }[])
        otel.push(o.span_id);
    this.remove(ws, [...ids, ...otel], now);
    const gone = JSON.stringify([...ids, ...otel]);
    this.db
      .stmt(
        'DELETE FROM otel_spans WHERE ws = ?1 AND (span_id IN (SELECT value FROM json_each(?2)) OR run_id IN (SELECT value FROM json_each(?2)))',
      )
      .run(ws, gone);
    this.db
      .stmt(
        'DELETE FROM otel_links WHERE ws = ?1 AND (otel_span_id IN (SELECT value FROM json_each(?2)) OR run_id IN (SELECT value FROM json_each(?2)))',
      )
      .run(ws, gone);
    for (const t of traces) {
      const orphans = this.db
        .stmt(
          `SELECT s.span_id FROM spans s WHERE s.ws = ? AND s.trace_id = ? AND s.span_type = 'artifact'
            AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.ws = s.ws AND a.id = s.span_id)`,
        )
        .all(ws, t) as { span_id: string }[];
      if (orphans.length)
        this.remove(
          ws,
          orphans.map((o) => o.span_id),
          now,
        );
    }
  }

  /** Records a state type/name pair the workspace's runs entered, with its timestamp. */
  private observeState(ws: number, type: string, name: string, first: number, last: number): void {
    this.db
      .stmt(
        `INSERT INTO span_observed_states (ws, state_type, state_name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (ws, state_type, state_name) DO UPDATE SET
            first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
      )
      .run(ws, type, name, first, last);
  }

  /**
   * Computes every span of a database whose runs predate the spans (once, when the store opens).
   * Parents go first where it matters little: late parents re-root their subtrees anyway.
   */
  backfill(): void {
    if (this.db.stmt("SELECT 1 FROM meta WHERE key = 'spans_backfilled'").get()) return;
    this.db.tx(() => {
      const now = nowMicros();
      const kinds: [SpanType, string][] = [
        ['flow-run', 'SELECT ws, id FROM flow_runs ORDER BY ws, created, id'],
        ['task-run', 'SELECT ws, id FROM task_runs ORDER BY ws, created, id'],
        ['artifact', 'SELECT ws, id FROM artifacts ORDER BY ws, created, id'],
      ];
      this.batch(() => {
        for (const [type, sql] of kinds) {
          for (const r of this.db.stmt(sql).all() as { ws: number; id: string }[]) this.resync(r.ws, type, r.id, now);
        }
      });
      for (const table of ['flow_run_states', 'task_run_states']) {
        const pairs = this.db
          .stmt(
            `SELECT ws, type, name, min(timestamp) AS first, max(timestamp) AS last FROM ${table} GROUP BY ws, type, name`,
          )
          .all() as { ws: number; type: string; name: string; first: number; last: number }[];
        for (const p of pairs) this.observeState(p.ws, p.type, p.name, p.first, p.last);
      }
      this.db.stmt("INSERT INTO meta (key, value) VALUES ('spans_backfilled', '1')").run();
    });
  }

  get(ws: number, id: string): SpanRow | undefined {
    const r = this.db.stmt(`${SPAN_SELECT} WHERE s.ws = ? AND s.span_id = ?`).get(ws, id) as Row | undefined;
    return r ? toSpan(r) : undefined;
  }

  /** Brings one span in line with its source row (removing it when the row is gone). */
  private resync(ws: number, type: SpanType, id: string, now: number): void {
    const received = type === 'otel' ? this.received.get(`${ws}\u0000${id}`) : undefined;
    const source = received ? this.receivedSource(ws, received) : readSpanSource(this.db, ws, type, id);
    if (source) this.upsert(ws, source, now);
    else this.remove(ws, [id], now);
  }

  /** `readSpanSource` of an OTel span just written: only the run its parent stands for is read. */
  private receivedSource(ws: number, r: OtelSpanRow): SpanSource {
    const run = r.otel_parent_id === null ? undefined : this.linkedRun(ws, r.otel_parent_id);
    return otelSpanSource(r, run ?? r.otel_parent_id);
  }

  /** The run OTel span `otelSpan` stands for, if known. */
  private linkedRun(ws: number, otelSpan: string): string | undefined {
    const r = this.db.stmt('SELECT run_id FROM otel_links WHERE ws = ? AND otel_span_id = ?').get(ws, otelSpan) as
      | { run_id: string }
      | undefined;
    return r?.run_id;
  }

  private upsert(ws: number, source: SpanSource, now: number): void {
    this.upsertSpan(ws, source, now);
    if (source.otel_span_id) this.link(ws, source.otel_span_id, source.span_id, now);
  }

  private upsertSpan(ws: number, source: SpanSource, now: number): void {
    const id = source.span_id;
    const parentId = source.parent_id !== null && source.parent_id !== id ? source.parent_id : null;
    // The span as stored and its parent's placement, in one read.
    const rows = (
      parentId === null
        ? this.db.stmt('SELECT * FROM spans WHERE ws = ? AND span_id = ?').all(ws, id)
        : this.db.stmt('SELECT * FROM spans WHERE ws = ? AND span_id IN (?, ?)').all(ws, id, parentId)
    ) as Row[];
    const old = rows.find((r) => r.span_id === id);
    const p = parentId === null ? undefined : rows.find((r) => r.span_id === parentId);
    const parent = p
      ? { span_id: p.span_id as string, trace_id: p.trace_id as string, path: JSON.parse(p.path as string) as string[] }
      : undefined;
    const placement = place(id, source.parent_id, parent, source.root_trace_id);
    const fields = spanFields(source, placement);
    const columns = spanColumns(fields);
    if (old && sameColumns(old, columns)) return;
    if (fields.span_type === 'otel') this.deferred.mayJoin(ws, 'span', id);
    else if (!old && fields.span_type !== 'artifact') this.deferred.mayJoin(ws, 'run', id);

    const before = old ? contributionOf(old as unknown as SpanRow) : undefined;
    const after = contributionOf(fields);
    if (!sameContribution(before, after)) {
      if (before?.parent) this.deferred.child(ws, before.parent, before, -1);
      if (after.parent) this.deferred.child(ws, after.parent, after, 1);
    }
    let moved: boolean;
    if (old) {
      updateSpan(this.db, ws, id, columns, now);
      moved = old.trace_id !== columns.trace_id || old.path !== columns.path;
    } else {
      // Counted from the children present: changes gathered for it before it existed are void.
      const counts = this.countChildren(ws, id);
      this.deferred.forget(ws, id);
      insertSpan(this.db, ws, id, columns, counts, now);
      // Children that waited for it move along (into its trace, which their stand-in may not have
      // named: an OTel span's stand-in trace is its own trace id).
      moved = counts.child_count > 0;
    }
    if (moved) this.replantDescendants(ws, id, placement, now);
  }

  private remove(ws: number, ids: string[], now: number): void {
    const gone: SpanRow[] = [];
    for (const id of ids) {
      const s = this.get(ws, id);
      if (!s) continue;
      this.db.stmt('DELETE FROM spans WHERE ws = ? AND span_id = ?').run(ws, id);
      gone.push(s);
    }
    for (const s of gone) if (s.parent_span_id) this.deferred.child(ws, s.parent_span_id, contributionOf(s), -1);
    for (const s of gone) {
      const children = this.db
        .stmt('SELECT span_id, span_type FROM spans WHERE ws = ? AND parent_span_id = ?')
        .all(ws, s.span_id) as {
        span_id: string;
        span_type: SpanType;
      }[];
      for (const c of children) this.resync(ws, c.span_type, c.span_id, now);
    }
  }

  /** Children added (+1) or taken away (−1) under `parent`; nothing when the parent has no span. */
  private adjustParent(ws: number, parent: string, changes: [ChildContribution, 1 | -1][], now: number): void {
    const r = this.db
      .stmt('SELECT child_count, child_state_counts FROM spans WHERE ws = ? AND span_id = ?')
      .get(ws, parent) as { child_count: number; child_state_counts: string } | undefined;
    if (!r) return;
    let next = { child_count: r.child_count, child_state_counts: JSON.parse(r.child_state_counts) };
    for (const [c, delta] of changes) next = adjustChildCounts(next, c, delta);
    this.db
      .stmt(
        'UPDATE spans SET child_count = ?, child_state_counts = ?, version = version + 1, published = ? WHERE ws = ? AND span_id = ?',
      )
      .run(next.child_count, json(next.child_state_counts), now, ws, parent);
  }

  private countChildren(ws: number, id: string) {
    const groups = this.db
      .stmt(
        'SELECT span_type, state_name, count(*) AS n FROM spans WHERE ws = ? AND parent_span_id = ? GROUP BY span_type, state_name',
      )
      .all(ws, id) as { span_type: string; state_name: string | null; n: number }[];
    return childCountsFrom(groups);
  }

  private replantDescendants(ws: number, id: string, placement: SpanPlacement, now: number): void {
    const rows = this.db.stmt(DESCENDANTS).all(ws, id) as { span_id: string; trace_id: string; path: string }[];
    const update = this.db.stmt(
      'UPDATE spans SET trace_id = ?, path = ?, depth = ?, version = version + 1, published = ? WHERE ws = ? AND span_id = ?',
    );
    for (const r of rows) {
      const next = replant(id, placement, { path: JSON.parse(r.path) });
      const path = json(next.path);
      if (next.trace_id === r.trace_id && path === r.path) continue;
      update.run(next.trace_id, path, next.depth, now, ws, r.span_id);
      this.deferred.mayJoin(ws, 'span', r.span_id);
    }
  }
}
