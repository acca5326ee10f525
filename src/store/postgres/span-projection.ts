/**
 * PostgreSQL: the span projection, as on SQLite (`sqlite/span-projection.ts`). The run stores call
 * these hooks with their transaction's client, so a span commits with its run. Parent child counts
 * and observed states are gathered per transaction and applied at the end of the hook (or of a
 * `batch`), once per key and in key order: concurrent transactions lock shared parent rows in the
 * same order. Parent rows are read `FOR UPDATE`, so concurrent children never lose a count.
 */
import { type OtelSpanRow, otelObserved } from '../../domain/otlp/spans.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import {
  adjustChildCounts,
  childCountsFrom,
  contributionOf,
  place,
  replant,
  sameContribution,
  spanFields,
} from '../../domain/spans/placement.ts';
import type { SpanPlacement, SpanRow, SpanType } from '../../domain/spans/span.ts';
import { nowMicros } from '../../domain/time.ts';
import { type SpanColumns, sameColumns, spanColumns } from '../shared/span-columns.ts';
import { Deferred } from '../shared/span-deferred.ts';
import type { PgDb, Queryable } from './db.ts';
import { linkWaitingLogs } from './otel-log-links.ts';
import { updateRows } from './recordset.ts';
import { insertSpans, type NewSpan, readForUpsert, updateSpans } from './span-rows.ts';

interface TxState {
  deferred: Deferred;
  batching: boolean;
}

export class PgSpanProjection {
  /** What each open transaction (by its client) has gathered so far. */
  private readonly txs = new WeakMap<Queryable, TxState>();

  private tx(c: Queryable): TxState {
    let t = this.txs.get(c);
    if (!t) {
      t = { deferred: new Deferred(), batching: false };
      this.txs.set(c, t);
    }
    return t;
  }

  flowRunChanged(c: Queryable, ws: number, id: string, observed?: StateRow): Promise<void> {
    return this.run(c, async (d) => {
      if (observed) d.observe(ws, observed);
      await this.touch(c, ws, 'flow-run', id);
    });
  }

  taskRunChanged(c: Queryable, ws: number, id: string, observed?: StateRow): Promise<void> {
    return this.run(c, async (d) => {
      if (observed) d.observe(ws, observed);
      await this.touch(c, ws, 'task-run', id);
    });
  }

  artifactChanged(c: Queryable, ws: number, id: string): Promise<void> {
    return this.run(c, () => this.touch(c, ws, 'artifact', id));
  }

  /** OTel spans were written (see the SQLite projection). */
  otelSpansChanged(c: Queryable, ws: number, rows: OtelSpanRow[]): Promise<void> {
    return this.batch(c, async () => {
      const d = this.tx(c).deferred;
      const enriching: OtelSpanRow[] = [];
      for (const r of rows) {
        if (r.run_id === null) d.observe(ws, otelObserved(r));
        else enriching.push(r);
        // One that names a run is not a span of its own (any it was goes).
        await this.touch(c, ws, 'otel', r.span_id);
      }
      if (!enriching.length) return;
      const now = nowMicros();
      const runs = await c.query(
        "SELECT span_id, span_type FROM spans WHERE ws = $1 AND span_id = ANY($2::text[]) AND span_type IN ('flow-run', 'task-run')",
        [ws, enriching.map((r) => r.run_id)],
      );
      for (const type of ['flow-run', 'task-run'] as const) {
        const ids = (runs.rows as { span_id: string; span_type: SpanType }[]).filter((r) => r.span_type === type);
        if (ids.length) await this.resync(c, ws, type, [...new Set(ids.map((r) => r.span_id))], now);
      }
      await this.link(
        c,
        ws,
        enriching.map((r) => [r.span_id, r.run_id as string]),
        now,
      );
    });
  }

  /** Records which runs OTel span ids stand for; OTel spans under a new link are placed again. */
  private async link(c: Queryable, ws: number, links: [string, string][], now: number): Promise<void> {
    if (!links.length) return;
    // `old` reads the links as they were before the upsert (one snapshot for the whole statement).
    const changed = await c.query(
      `WITH old AS (SELECT otel_span_id, run_id FROM otel_links WHERE ws = $1 AND otel_span_id = ANY($2::text[])),
       up AS (
         INSERT INTO otel_links (ws, otel_span_id, run_id) SELECT $1, * FROM unnest($2::text[], $3::text[])
         ON CONFLICT (ws, otel_span_id) DO UPDATE SET run_id = excluded.run_id WHERE otel_links.run_id <> excluded.run_id
         RETURNING otel_span_id)
       SELECT up.otel_span_id, old.run_id AS before FROM up LEFT JOIN old USING (otel_span_id)`,
      [ws, links.map((l) => l[0]), links.map((l) => l[1])],
    );
    if (!changed.rows.length) return;
    const rows = changed.rows as { otel_span_id: string; before: string | null }[];
    for (const r of rows) this.tx(c).deferred.mayJoin(ws, 'span', r.otel_span_id);
    // Their OTel children hang under them, or under the runs they stood for until now (ADR 50:
    // found by their spans; resyncing another OTel span of such a run changes nothing).
    const children = await c.query(
      "SELECT span_id FROM spans WHERE ws = $1 AND parent_span_id = ANY($2::text[]) AND span_type = 'otel'",
      [ws, rows.flatMap((r) => (r.before === null ? [r.otel_span_id] : [r.otel_span_id, r.before]))],
    );
    if (children.rows.length)
      await this.resync(
        c,
        ws,
        'otel',
        (children.rows as { span_id: string }[]).map((r) => r.span_id),
        now,
      );
  }

  /** Brings the span up to date now, or at the end of the batch. */
  private async touch(c: Queryable, ws: number, type: SpanType, id: string): Promise<void> {
    const t = this.tx(c);
    if (t.batching) t.deferred.touch(ws, type, id);
    else await this.resync(c, ws, type, [id], nowMicros());
  }

  /** Runs or artifacts with these ids were deleted (see the SQLite projection). */
  removed(c: Queryable, ws: number, ids: string[]): Promise<void> {
    return this.run(c, async () => {
      const now = nowMicros();
      const traces = await c.query('SELECT DISTINCT trace_id FROM spans WHERE ws = $1 AND span_id = ANY($2::text[])', [
        ws,
        ids,
      ]);
      // OTel spans of user code beneath the runs go with them, with what they arrived as.
      const otel = await c.query(
        `SELECT s.span_id FROM spans s WHERE s.ws = $1 AND s.trace_id = ANY($2::text[]) AND s.span_type = 'otel'
          AND s.path::jsonb ?| $3::text[]`,
        [ws, (traces.rows as { trace_id: string }[]).map((t) => t.trace_id), ids],
      );
      const gone = [...ids, ...(otel.rows as { span_id: string }[]).map((o) => o.span_id)];
      await this.remove(c, ws, gone, now);
      await c.query(
        'DELETE FROM otel_spans WHERE ws = $1 AND (span_id = ANY($2::text[]) OR run_id = ANY($2::text[]))',
        [ws, gone],
      );
      await c.query(
        'DELETE FROM otel_links WHERE ws = $1 AND (otel_span_id = ANY($2::text[]) OR run_id = ANY($2::text[]))',
        [ws, gone],
      );
      for (const t of traces.rows as { trace_id: string }[]) {
        const orphans = await c.query(
          `SELECT s.span_id FROM spans s WHERE s.ws = $1 AND s.trace_id = $2 AND s.span_type = 'artifact'
            AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.ws = s.ws AND a.id = s.span_id)`,
          [ws, t.trace_id],
        );
        if (orphans.rows.length)
          await this.remove(
            c,
            ws,
            (orphans.rows as { span_id: string }[]).map((o) => o.span_id),
            now,
          );
      }
    });
  }

  /** Runs `fn` — many hook calls on `c` — and brings each span, parent and observed state up to date once at the end. */
  async batch<T>(c: Queryable, fn: () => Promise<T>): Promise<T> {
    const t = this.tx(c);
    if (t.batching) return fn();
    t.batching = true;
    try {
      const r = await fn();
      const now = nowMicros();
      // Each run of touched spans of one workspace and type in one read and one write per kind.
      const touched = t.deferred.spans();
      for (let i = 0; i < touched.length; ) {
        const { ws, type } = touched[i];
        const ids: string[] = [];
        for (; i < touched.length && touched[i].ws === ws && touched[i].type === type; i++) ids.push(touched[i].id);
        await this.resync(c, ws, type, ids, now);
      }
      await this.flush(c, t.deferred);
      return r;
    } finally {
      t.batching = false;
      t.deferred.clear();
    }
  }

  private async run(c: Queryable, fn: (d: Deferred) => Promise<void>): Promise<void> {
    const t = this.tx(c);
    if (t.batching) return fn(t.deferred);
    try {
      await fn(t.deferred);
      await this.flush(c, t.deferred);
    } finally {
      t.deferred.clear();
    }
  }

  private async flush(c: Queryable, d: Deferred): Promise<void> {
    await this.flushCounts(c, d);
    for (const [ws, j] of d.joins()) await linkWaitingLogs(c, ws, j.spans, j.runs);
  }

  private async flushCounts(c: Queryable, d: Deferred): Promise<void> {
    const parents = d.parents();
    if (parents.length) {
      // Locked in (workspace, id) order, as `Deferred` sorts them: concurrent batches cannot deadlock.
      const r = await c.query(
        `SELECT ws, span_id, child_count, child_state_counts FROM spans
          WHERE (ws, span_id) IN (SELECT * FROM unnest($1::int[], $2::text[])) ORDER BY ws, span_id FOR UPDATE`,
        [parents.map((p) => p.ws), parents.map((p) => p.parent)],
      );
      const stored = new Map(
        (r.rows as { ws: number; span_id: string; child_count: number; child_state_counts: string }[]).map((x) => [
          `${x.ws}\u0000${x.span_id}`,
          x,
        ]),
      );
      const now = nowMicros();
      const rows = [];
      for (const p of parents) {
        const row = stored.get(`${p.ws}\u0000${p.parent}`);
        if (!row) continue;
        let next = { child_count: row.child_count, child_state_counts: JSON.parse(row.child_state_counts) };
        for (const [contribution, delta] of p.changes) next = adjustChildCounts(next, contribution, delta);
        rows.push({
          ws: p.ws,
          span_id: p.parent,
          child_count: next.child_count,
          child_state_counts: JSON.stringify(next.child_state_counts),
          published: now,
        });
      }
      if (rows.length) await updateRows(c, 'spans', rows, ['ws', 'span_id'], { set: 'version = t.version + 1' });
    }
    const states = d.states();
    if (states.length) {
      await c.query(
        `INSERT INTO span_observed_states (ws, state_type, state_name, first_seen, last_seen)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
         ON CONFLICT (ws, state_type, state_name) DO UPDATE SET
           first_seen = LEAST(span_observed_states.first_seen, excluded.first_seen),
           last_seen = GREATEST(span_observed_states.last_seen, excluded.last_seen)`,
        [
          states.map((s) => s.ws),
          states.map((s) => s.type),
          states.map((s) => s.name),
          states.map((s) => s.first),
          states.map((s) => s.last),
        ],
      );
    }
  }

  /** Brings the spans of runs (or artifacts) `ids` of one type up to date: one read, one insert, one update. */
  private async resync(c: Queryable, ws: number, type: SpanType, ids: string[], now: number): Promise<void> {
    const { sources, spans, children } = await readForUpsert(c, ws, type, ids);
    const d = this.tx(c).deferred;
    const inserts: NewSpan[] = [];
    const updates: { id: string; cols: SpanColumns }[] = [];
    const moved: { id: string; placement: SpanPlacement }[] = [];
    const gone: string[] = [];
    // A new span starts from the children stored when they were read: changes gathered for it
    // before are void; those its new children make afterwards count.
    const fresh = new Set(ids.filter((id) => sources.has(id) && !spans.has(id)));
    for (const id of fresh) d.forget(ws, id);
    // Spans whose parent is new in this same call are placed once it is written (a second read),
    // as one at a time would: an OTel export often holds a child and its parent.
    let later = ids.filter((id) => {
      const p = sources.get(id)?.parent_id;
      return p != null && p !== id && fresh.has(p);
    });
    if (later.length === ids.length) later = []; // a cycle of new spans: placed together (`place` breaks it)
    const waiting = new Set(later);
    for (const id of ids) {
      if (waiting.has(id)) continue;
      const source = sources.get(id);
      if (!source) {
        gone.push(id);
        continue;
      }
      const old = spans.get(id);
      const parentId = source.parent_id !== null && source.parent_id !== id ? source.parent_id : null;
      const p = parentId === null ? undefined : spans.get(parentId);
      const parent = p
        ? {
            span_id: p.span_id as string,
            trace_id: p.trace_id as string,
            path: JSON.parse(p.path as string) as string[],
          }
        : undefined;
      const placement = place(id, source.parent_id, parent, source.root_trace_id);
      const fields = spanFields(source, placement);
      const cols = spanColumns(fields);
      if (old && sameColumns(old, cols)) continue;
      if (fields.span_type === 'otel') d.mayJoin(ws, 'span', id);
      else if (!old && fields.span_type !== 'artifact') d.mayJoin(ws, 'run', id);

      const before = old ? contributionOf(old as unknown as SpanRow) : undefined;
      const after = contributionOf(fields);
      if (!sameContribution(before, after)) {
        if (before?.parent) d.child(ws, before.parent, before, -1);
        if (after.parent) d.child(ws, after.parent, after, 1);
      }
      if (old) {
        updates.push({ id, cols });
        if (old.trace_id !== cols.trace_id || old.path !== cols.path) moved.push({ id, placement });
      } else {
        const counts = childCountsFrom(children.get(id) ?? []);
        inserts.push({ id, cols, counts });
        if (counts.child_count > 0) moved.push({ id, placement });
      }
    }
    await insertSpans(c, ws, inserts, now);
    await updateSpans(c, ws, updates, now);
    for (const m of moved) await this.replantDescendants(c, ws, m.id, m.placement, now);
    await this.remove(c, ws, gone, now);
    if (later.length) await this.resync(c, ws, type, later, now);
    const links: [string, string][] = [];
    for (const id of ids) {
      const otelSpan = waiting.has(id) ? undefined : sources.get(id)?.otel_span_id;
      if (otelSpan) links.push([otelSpan, id]);
    }
    await this.link(c, ws, links, now);
  }

  private async remove(c: Queryable, ws: number, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    const d = this.tx(c).deferred;
    const r = await c.query(
      'DELETE FROM spans WHERE ws = $1 AND span_id = ANY($2::text[]) RETURNING span_id, parent_span_id, span_type, state_name',
      [ws, ids],
    );
    const gone = r.rows as Pick<SpanRow, 'span_id' | 'parent_span_id' | 'span_type' | 'state_name'>[];
    for (const s of gone) if (s.parent_span_id) d.child(ws, s.parent_span_id, contributionOf(s), -1);
    if (gone.length === 0) return;
    const children = await c.query(
      'SELECT span_id, span_type FROM spans WHERE ws = $1 AND parent_span_id = ANY($2::text[])',
      [ws, gone.map((s) => s.span_id)],
    );
    const byType = new Map<SpanType, string[]>();
    for (const ch of children.rows as { span_id: string; span_type: SpanType }[])
      byType.set(ch.span_type, [...(byType.get(ch.span_type) ?? []), ch.span_id]);
    for (const [type, ids] of byType) await this.resync(c, ws, type, ids, now);
  }

  private async replantDescendants(
    c: Queryable,
    ws: number,
    id: string,
    placement: SpanPlacement,
    now: number,
  ): Promise<void> {
    const r = await c.query(
      `WITH RECURSIVE d(id) AS (
         SELECT span_id FROM spans WHERE ws = $1 AND parent_span_id = $2
         UNION SELECT s.span_id FROM d JOIN spans s ON s.ws = $1 AND s.parent_span_id = d.id
       ) SELECT s.span_id, s.trace_id, s.path FROM spans s WHERE s.ws = $1 AND s.span_id IN (SELECT id FROM d)`,
      [ws, id],
    );
    const ids: string[] = [];
    const traces: string[] = [];
    const paths: string[] = [];
    const depths: number[] = [];
    for (const row of r.rows as { span_id: string; trace_id: string; path: string }[]) {
      const next = replant(id, placement, { path: JSON.parse(row.path) });
      const path = JSON.stringify(next.path);
      if (next.trace_id === row.trace_id && path === row.path) continue;
      ids.push(row.span_id);
      traces.push(next.trace_id);
      paths.push(path);
      depths.push(next.depth);
    }
    if (ids.length === 0) return;
    const d = this.tx(c).deferred;
    for (const moved of ids) d.mayJoin(ws, 'span', moved);
    await c.query(
      `UPDATE spans s SET trace_id = v.trace_id, path = v.path, depth = v.depth, version = s.version + 1, published = $6
       FROM unnest($2::text[], $3::text[], $4::text[], $5::int[]) AS v(span_id, trace_id, path, depth)
       WHERE s.ws = $1 AND s.span_id = v.span_id`,
      [ws, ids, traces, paths, depths, now],
    );
  }

  /** Computes the spans of a database whose runs predate them (once, when a store opens). */
  async backfill(db: PgDb): Promise<void> {
    if (await db.one("SELECT 1 FROM meta WHERE key = 'spans_backfilled'")) return;
    await db.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('sightline.spans.backfill', 0))");
      if ((await c.query("SELECT 1 FROM meta WHERE key = 'spans_backfilled'")).rows.length) return;
      const now = nowMicros();
      await this.batch(c, async () => {
        const kinds: [SpanType, string][] = [
          ['flow-run', 'SELECT ws, id FROM flow_runs ORDER BY ws, created, id'],
          ['task-run', 'SELECT ws, id FROM task_runs ORDER BY ws, created, id'],
          ['artifact', 'SELECT ws, id FROM artifacts ORDER BY ws, created, id'],
        ];
        for (const [type, sql] of kinds) {
          for (const r of (await c.query(sql)).rows as { ws: number; id: string }[])
            await this.resync(c, r.ws, type, [r.id], now);
        }
      });
      for (const table of ['flow_run_states', 'task_run_states']) {
        await c.query(
          `INSERT INTO span_observed_states (ws, state_type, state_name, first_seen, last_seen)
           SELECT ws, type, name, min("timestamp"), max("timestamp") FROM ${table} GROUP BY ws, type, name
           ON CONFLICT (ws, state_type, state_name) DO UPDATE SET
             first_seen = LEAST(span_observed_states.first_seen, excluded.first_seen),
             last_seen = GREATEST(span_observed_states.last_seen, excluded.last_seen)`,
        );
      }
      await c.query("INSERT INTO meta (key, value) VALUES ('spans_backfilled', '1')");
    });
  }
}
