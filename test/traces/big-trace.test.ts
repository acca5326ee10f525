/**
 * A generated trace of 10,000 spans (flows, tasks, subflows, artifacts, mixed states and tags, some
 * parents late) read through the native API: every page, both directions, every filter against an
 * independent evaluation over all spans, context at the edges, lookups and observed data. On
 * PostgreSQL the same trace shape is generated at 2,500 spans to keep the suite fast (it is built
 * through the recorder one round trip at a time); `npm run bench` reads 10,000 on both engines.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid7 } from '../../src/domain/ids.ts';
import { matchesText, parseTextQuery } from '../../src/domain/text-query.ts';
import { parseIsoMicros } from '../../src/domain/time.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { type GeneratedTrace, generateTrace, TAG_POOL } from '../helpers/span-trace.ts';

type Span = Record<string, any>;

/** `SpanResponse` has no depth: it is the length of the path. */
const depth = (x: Span) => x.path.length;

async function get(s: TestServer, url: string): Promise<any> {
  const r = await s.request('GET', url);
  assert.equal(r.statusCode, 200, `${url} → ${r.statusCode} ${r.body}`);
  return r.json();
}

function qs(params: Record<string, string | number | string[] | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x));
  }
  const t = u.toString();
  return t ? `?${t}` : '';
}

/** Every page of a query, following next_cursor; checks the cursor rules on the way. */
async function pages(s: TestServer, trace: string, params: Record<string, any>): Promise<Span[][]> {
  const out: Span[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await get(s, s.oss(`/traces/${trace}${qs({ ...params, cursor })}`));
    if (out.length === 0) assert.equal(page.prev_cursor, null, 'no prev_cursor on the first page');
    else assert.equal(typeof page.prev_cursor, 'string');
    out.push(page.spans);
    if (page.next_cursor === null) return out;
    assert.equal(page.spans.length, params.limit ?? 100, 'only the last page is short');
    cursor = page.next_cursor;
  }
}

const haystack = (s: Span) => [s.name, ...s.tags, ...Object.values(s.attributes).map(String)].join('\n').toLowerCase();

const SHAPES = {
  sqlite: { spans: 10_000, subflows: 20, tasksPerSubflow: 100, artifacts: 500 },
  postgres: { spans: 2_500, subflows: 10, tasksPerSubflow: 50, artifacts: 150 },
};

forEachEngine('traces: a generated trace of 10,000 spans', (engine) => {
  const shape = SHAPES[engine.name];
  const rootTasks = shape.spans - 1 - 2 * shape.subflows - shape.subflows * shape.tasksPerSubflow - shape.artifacts;
  let s: TestServer;
  let g: GeneratedTrace;
  let all: Span[];

  before(async () => {
    s = await startServer(engine);
    const ws = s.workspaceId;
    g = await generateTrace(s.app.store, ws, shape);
    all = (await pages(s, g.rootId, { limit: 1000 })).flat();
  });
  after(() => s.close());

  it('holds every span once, in span order, placed consistently', () => {
    assert.equal(all.length, shape.spans);
    assert.equal(new Set(all.map((x) => x.span_id)).size, shape.spans);
    const byId = new Map(all.map((x) => [x.span_id, x]));
    const start = (x: Span) => (x.start_time === null ? Number.POSITIVE_INFINITY : parseIsoMicros(x.start_time)!);
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1], all[i]];
      assert.ok(start(a) < start(b) || (start(a) === start(b) && a.span_id < b.span_id), `span order at ${i}`);
    }
    for (const x of all) {
      assert.equal(x.trace_id, g.rootId);
      if (depth(x) === 0) continue;
      assert.equal(x.path[x.path.length - 1], x.parent_span_id);
      const parent = byId.get(x.parent_span_id)!;
      assert.deepEqual(x.path, [...parent.path, parent.span_id]);
    }
    const depths = new Map<number, number>();
    for (const x of all) depths.set(depth(x), (depths.get(depth(x)) ?? 0) + 1);
    assert.deepEqual([...depths.entries()].sort(), [
      [0, 1],
      [1, rootTasks + shape.subflows],
      [2, shape.artifacts + shape.subflows],
      [3, shape.subflows * shape.tasksPerSubflow],
    ]);
    // Child counts match the children actually present.
    const children = new Map<string, Span[]>();
    for (const x of all) {
      if (!x.parent_span_id) continue;
      const kids = children.get(x.parent_span_id) ?? [];
      kids.push(x);
      children.set(x.parent_span_id, kids);
    }
    for (const x of all) {
      const kids = children.get(x.span_id) ?? [];
      assert.equal(x.child_count, kids.length);
      assert.equal(x.has_children, kids.length > 0);
      const counts: Record<string, Record<string, number>> = {};
      for (const k of kids) {
        if (k.state_name === null) continue;
        const byName = (counts[k.span_type] ??= {});
        byName[k.state_name] = (byName[k.state_name] ?? 0) + 1;
      }
      assert.deepEqual(x.child_state_counts, counts);
    }
  });

  it('pages backwards with prev_cursor onto the same spans, and desc is the exact reverse', async () => {
    const forward: { spans: Span[]; prev: string | null; next: string | null }[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 4; i++) {
      const p = await get(s, s.oss(`/traces/${g.rootId}${qs({ limit: 100, cursor })}`));
      forward.push({ spans: p.spans, prev: p.prev_cursor, next: p.next_cursor });
      cursor = p.next_cursor;
    }
    assert.deepEqual(
      forward.flatMap((p) => p.spans.map((x) => x.span_id)),
      all.slice(0, 400).map((x) => x.span_id),
    );
    // Back from page 4 to page 1.
    let prev = forward[3].prev!;
    for (let i = 2; i >= 0; i--) {
      const p = await get(s, s.oss(`/traces/${g.rootId}${qs({ cursor: prev })}`));
      assert.deepEqual(
        p.spans.map((x: Span) => x.span_id),
        forward[i].spans.map((x) => x.span_id),
        `page ${i + 1} again`,
      );
      assert.equal(p.next_cursor === null, false);
      if (i === 0) assert.equal(p.prev_cursor, null, 'back on the first page');
      else prev = p.prev_cursor;
    }
    // Forward again from a cursor of the first round.
    const again = await get(s, s.oss(`/traces/${g.rootId}${qs({ cursor: forward[1].next! })}`));
    assert.deepEqual(
      again.spans.map((x: Span) => x.span_id),
      forward[2].spans.map((x) => x.span_id),
    );

    const desc = (await pages(s, g.rootId, { limit: 1000, direction: 'desc' })).flat();
    assert.deepEqual(
      desc.map((x) => x.span_id),
      all.map((x) => x.span_id).reverse(),
    );
    // Backwards in desc: the page before the second desc page is the first.
    const d1 = await get(s, s.oss(`/traces/${g.rootId}${qs({ limit: 50, direction: 'desc' })}`));
    const d2 = await get(
      s,
      s.oss(`/traces/${g.rootId}${qs({ limit: 50, direction: 'desc', cursor: d1.next_cursor })}`),
    );
    const d1again = await get(s, s.oss(`/traces/${g.rootId}${qs({ limit: 50, cursor: d2.prev_cursor })}`));
    assert.deepEqual(
      d1again.spans.map((x: Span) => x.span_id),
      d1.spans.map((x: Span) => x.span_id),
    );
    assert.equal(d1again.prev_cursor, null);
  });

  it('filters exactly like an independent evaluation over all spans', async () => {
    const cases: [Record<string, any>, (x: Span) => boolean][] = [
      [{ depth: 0 }, (x) => depth(x) === 0],
      [{ depth: 3 }, (x) => depth(x) === 3],
      [{ parent_span_id: g.rootId }, (x) => x.parent_span_id === g.rootId],
      [{ parent_span_id: g.subflowIds[3] }, (x) => x.parent_span_id === g.subflowIds[3]],
      [{ entities: 'artifact' }, (x) => x.span_type === 'artifact'],
      [{ entities: ['flow-run', 'artifact'] }, (x) => x.span_type === 'flow-run' || x.span_type === 'artifact'],
      [{ entities: 'flow-run,task-run' }, (x) => x.span_type !== 'artifact'],
      [{ state_types: ['FAILED', 'CRASHED'] }, (x) => x.state_type === 'FAILED' || x.state_type === 'CRASHED'],
      [
        { state_names: ['Retrying', 'AwaitingRetry'] },
        (x) => x.state_name === 'Retrying' || x.state_name === 'AwaitingRetry',
      ],
      [{ tags: ['gpu', 'Nightly'] }, (x) => x.tags.includes('gpu') || x.tags.includes('Nightly')],
      [{ tags: 'nightly' }, () => false],
      [
        { depth: 3, state_types: 'COMPLETED', tags: 'slow' },
        (x) => depth(x) === 3 && x.state_type === 'COMPLETED' && x.tags.includes('slow'),
      ],
    ];
    for (const q of [
      'score',
      'score dedupe',
      'score -gpu',
      'score !slow',
      '"quality report 1"',
      'nightly',
      'data -extract -load',
      'SUB-1',
    ]) {
      const tq = parseTextQuery(q);
      cases.push([{ query: q }, (x) => matchesText(tq, haystack(x))]);
    }
    for (const [params, pred] of cases) {
      const got = (await pages(s, g.rootId, { ...params, limit: 1000 })).flat();
      const want = all.filter(pred);
      assert.deepEqual(
        got.map((x) => x.span_id),
        want.map((x) => x.span_id),
        `filter ${JSON.stringify(params)}: ${got.length} vs ${want.length}`,
      );
      if (want.length < 400 && want.length > 1) {
        // Also through small pages, and backwards.
        const small = (await pages(s, g.rootId, { ...params, limit: 37, direction: 'desc' })).flat();
        assert.deepEqual(
          small.map((x) => x.span_id),
          want.map((x) => x.span_id).reverse(),
          `desc ${JSON.stringify(params)}`,
        );
      }
    }
    const nonEmpty = cases.filter(([, pred]) => all.some(pred)).length;
    assert.ok(nonEmpty >= cases.length - 2, 'the filters select something');
  });

  it('answers context at the edges of a large sibling list', async () => {
    const rootKids = all.filter((x) => x.parent_span_id === g.rootId);
    const ctx = async (id: string, size?: number) =>
      get(s, s.cloud(`/traces/${g.rootId}/context/${id}${qs({ context_size: size })}`));

    const first = await ctx(rootKids[0].span_id, 5);
    assert.deepEqual(
      first.spans.map((x: Span) => x.span_id),
      [g.rootId, ...rootKids.slice(0, 6).map((x) => x.span_id)],
    );
    assert.deepEqual(
      [first.has_more_before, first.has_more_after, first.prev_cursor, first.target_span_id],
      [false, true, null, rootKids[0].span_id],
    );
    // next_cursor continues the siblings through the trace endpoint.
    const more = await get(s, s.oss(`/traces/${g.rootId}${qs({ cursor: first.next_cursor, limit: 3 })}`));
    assert.deepEqual(
      more.spans.map((x: Span) => x.span_id),
      rootKids.slice(6, 9).map((x) => x.span_id),
    );

    const last = await ctx(rootKids[rootKids.length - 1].span_id);
    assert.deepEqual(
      last.spans.map((x: Span) => x.span_id),
      [g.rootId, ...rootKids.slice(-11).map((x) => x.span_id)],
    );
    assert.deepEqual([last.has_more_before, last.has_more_after, last.next_cursor], [true, false, null]);
    const earlier = await get(s, s.oss(`/traces/${g.rootId}${qs({ cursor: last.prev_cursor, limit: 2 })}`));
    assert.deepEqual(
      earlier.spans.map((x: Span) => x.span_id),
      rootKids.slice(-13, -11).map((x) => x.span_id),
    );

    const mid = Math.floor(rootKids.length / 2);
    const middle = await ctx(rootKids[mid].span_id, 100);
    assert.equal(middle.spans.length, 1 + 201);
    assert.deepEqual([middle.has_more_before, middle.has_more_after], [true, true]);

    const deep = all.find((x) => depth(x) === 3)!;
    const d = await ctx(deep.span_id, 1);
    assert.deepEqual(
      d.spans.slice(0, 3).map((x: Span) => x.span_id),
      deep.path,
    );
    assert.ok(d.spans.slice(3).every((x: Span) => x.parent_span_id === deep.parent_span_id));
    assert.ok(d.spans.length <= 6);

    const root = await ctx(g.rootId);
    assert.deepEqual(
      root.spans.map((x: Span) => x.span_id),
      [g.rootId],
    );
    assert.deepEqual([root.has_more_before, root.has_more_after], [false, false]);
  });

  it('looks up runs and artifacts, and reads spans by id within the trace', async () => {
    for (const id of [
      g.rootId,
      g.subflowIds[1],
      g.subflowIds[2],
      g.taskIds[g.taskIds.length - 7],
      g.artifactIds[7],
      g.trackingIds[5],
    ]) {
      assert.deepEqual(await get(s, s.oss(`/spans/lookup/${id}`)), { trace_id: g.rootId, span_id: id });
    }
    const [last, mid] = [all.length - 1, Math.floor(all.length / 2)];
    const pick = [all[last], all[0], all[mid], all[42]].map((x) => x.span_id);
    const got = await get(s, s.oss(`/traces/${g.rootId}/spans${qs({ ids: [...pick, uuid7()] })}`));
    assert.deepEqual(
      got.map((x: Span) => x.span_id),
      [all[0], all[42], all[mid], all[last]].map((x) => x.span_id),
    );
    const one = await get(s, s.cloud(`/traces/${g.rootId}/spans/${all[mid].span_id}`));
    assert.equal(one.span_id, all[mid].span_id);
    assert.equal(one.version, all[mid].version);
  });

  it('counts observed tags and states like the spans do', async () => {
    const tagCounts = new Map<string, number>();
    for (const x of all) for (const t of new Set<string>(x.tags)) tagCounts.set(t, (tagCounts.get(t) ?? 0) + 1);
    const want = [...tagCounts.entries()]
      .map(([tag, count]) => ({ tag, count }))
      .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
    assert.deepEqual(await get(s, s.oss(`/traces/${g.rootId}/observed-tags`)), want);
    assert.deepEqual(
      await get(s, s.oss(`/traces/${g.rootId}/observed-tags?query=BATCH`)),
      want.filter((t) => t.tag.startsWith('batch')),
    );
    assert.ok(want.length >= TAG_POOL.length);
    // A subflow's subtree: the tracking task, the subflow and its tasks.
    const tracking = g.trackingIds[4];
    const subtree = all.filter((x) => x.span_id === tracking || x.path.includes(tracking));
    assert.equal(subtree.length, 1 + 1 + shape.tasksPerSubflow);
    const sub = new Map<string, number>();
    for (const x of subtree) for (const t of new Set<string>(x.tags)) sub.set(t, (sub.get(t) ?? 0) + 1);
    assert.deepEqual(
      await get(s, s.oss(`/spans/${tracking}/observed-tags`)),
      [...sub.entries()]
        .map(([tag, count]) => ({ tag, count }))
        .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1)),
    );

    const states = await get(s, s.oss(`/traces/${g.rootId}/observed-states?order_by=NAME_ASC&limit=500`));
    const names = states.map((x: any) => `${x.state_type}/${x.state_name}`);
    const current = new Set(all.filter((x) => x.state_type).map((x) => `${x.state_type}/${x.state_name}`));
    assert.deepEqual(new Set(names), current, 'the states the spans are in');
    for (let i = 1; i < states.length; i++) {
      const [a, b] = [states[i - 1], states[i]];
      assert.ok(
        a.state_name < b.state_name || (a.state_name === b.state_name && a.state_type < b.state_type),
        'NAME_ASC',
      );
    }
    const ws = await get(s, s.oss('/observed-states?query=r'));
    assert.deepEqual(ws.map((x: any) => x.state_name).sort(), ['Retrying', 'Running']);
  });
});
