/**
 * The nine span operations on both path families, on a trace written through the run routes
 * (flows, flow runs, task runs, set_state, artifacts): shapes, values, cursors and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const SPAN_KEYS = [
  'span_id',
  'trace_id',
  'parent_span_id',
  'path',
  'start_time',
  'end_time',
  'running_time',
  'published',
  'name',
  'span_type',
  'state_type',
  'state_name',
  'version',
  'attributes',
  'tags',
  'has_children',
  'child_count',
  'child_state_counts',
];
const MISSING = '01a20588-0000-7000-8000-000000000000';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;

interface Trace {
  root: Json;
  extract: Json;
  validate: Json;
  tracking: Json;
  sub: Json;
  load: Json;
  artifact: Json;
}

async function task(c: RunClient, flowRunId: string, key: string, tags: string[], states: string[]): Promise<Json> {
  const t = await c.call(
    'POST',
    '/task_runs/',
    { flow_run_id: flowRunId, task_key: key, dynamic_key: '0', name: `${key}-0`, tags },
    201,
  );
  for (const st of states) await c.setState(t.id, st, {}, false, 'task_runs');
  return t;
}

/** root → extract (+artifact), validate (FAILED), tracking → sub → load (FAILED); all FAILED up the path. */
async function buildTrace(c: RunClient, suffix: string): Promise<Trace> {
  const flow = await c.flow(`etl-parent-${suffix}`);
  const root = await c.run(flow.id, {
    tags: ['etl', 'prod'],
    parameters: { n: 5, label: 'x', ratio: 0.5 },
    labels: { team: 'data' },
  });
  await c.setState(root.id, 'RUNNING');
  const extract = await task(c, root.id, 'extract', ['io'], ['RUNNING', 'COMPLETED']);
  const artifact = await c.call(
    'POST',
    '/artifacts/',
    {
      key: `rows-${suffix}`,
      type: 'table',
      description: 'Row counts',
      data: [[1]],
      flow_run_id: root.id,
      task_run_id: extract.id,
    },
    201,
  );
  const validate = await task(c, root.id, 'validate', ['io', 'check'], ['RUNNING', 'FAILED']);
  const tracking = await task(c, root.id, 'etl_subflow', [], []);
  const subFlow = await c.flow(`etl-subflow-${suffix}`);
  const sub = await c.run(subFlow.id, { parent_task_run_id: tracking.id, tags: ['etl'] });
  await c.setState(sub.id, 'RUNNING');
  const load = await task(c, sub.id, 'load', ['check'], ['RUNNING', 'FAILED']);
  await c.setState(sub.id, 'FAILED');
  await c.setState(root.id, 'FAILED');
  return { root, extract, validate, tracking, sub, load, artifact };
}

forEachEngine('traces API', (engine) => {
  let s: TestServer;
  let t: Trace;
  let other: Trace;

  before(async () => {
    s = await startServer(engine);
    t = await buildTrace(new RunClient(s, 'oss'), 'a');
    other = await buildTrace(new RunClient(s, 'cloud'), 'b');
  });
  after(() => s.close());

  const get = async (url: string, status = 200): Promise<Json> => {
    const r = await s.request('GET', url);
    assert.equal(r.statusCode, status, `${url} → ${r.statusCode} ${r.body}`);
    return r.json();
  };

  for (const family of ['oss', 'cloud'] as const) {
    describe(`on ${family} paths`, () => {
      const p = (path: string) => (family === 'oss' ? s.oss(path) : s.cloud(path));

      it('reads a trace: every run and artifact as a span, in span order', async () => {
        const page = await get(p(`/traces/${t.root.id}`));
        assert.deepEqual(Object.keys(page), ['spans', 'next_cursor', 'prev_cursor']);
        assert.deepEqual([page.next_cursor, page.prev_cursor], [null, null]);
        const ids = page.spans.map((x: Json) => x.span_id);
        // The tracking task run starts when its subflow does, a moment later (a copy of its state).
        assert.deepEqual(ids, [
          t.root.id,
          t.extract.id,
          t.artifact.id,
          t.validate.id,
          t.sub.id,
          t.tracking.id,
          t.load.id,
        ]);
        for (const x of page.spans) {
          assert.deepEqual(Object.keys(x), SPAN_KEYS);
          assert.equal(x.trace_id, t.root.id);
          assert.match(x.published, ISO);
          assert.ok(x.version >= 1);
        }
        const [root, extract, artifact, validate, sub, tracking, load] = page.spans;
        assert.deepEqual(
          {
            ...root,
            start_time: undefined,
            end_time: undefined,
            published: undefined,
            running_time: undefined,
            version: undefined,
          },
          {
            span_id: t.root.id,
            trace_id: t.root.id,
            parent_span_id: null,
            path: [],
            start_time: undefined,
            end_time: undefined,
            running_time: undefined,
            published: undefined,
            name: t.root.name,
            span_type: 'flow-run',
            state_type: 'FAILED',
            state_name: 'Failed',
            version: undefined,
            attributes: {
              'prefect.flow.id': t.root.flow_id,
              team: 'data',
              'prefect.run.type': 'flow',
              'prefect.run.run_count': 1,
              'prefect.run.parameter.n': 'int',
              'prefect.run.parameter.label': 'str',
              'prefect.run.parameter.ratio': 'float',
            },
            tags: ['etl', 'prod'],
            has_children: true,
            child_count: 3,
            child_state_counts: { 'task-run': { Completed: 1, Failed: 2 } },
          },
        );
        assert.match(root.start_time, ISO);
        assert.match(root.end_time, ISO);
        assert.match(root.running_time, /^\d+\.\d+(e-\d+)?$/);
        assert.deepEqual(
          [extract.parent_span_id, extract.path, extract.span_type, extract.state_name],
          [t.root.id, [t.root.id], 'task-run', 'Completed'],
        );
        assert.deepEqual(extract.child_state_counts, {});
        assert.equal(extract.child_count, 1);
        assert.deepEqual(
          [
            artifact.span_type,
            artifact.name,
            artifact.parent_span_id,
            artifact.state_type,
            artifact.running_time,
            artifact.has_children,
          ],
          ['artifact', 'rows-a', t.extract.id, null, null, false],
        );
        assert.equal(artifact.start_time, artifact.end_time);
        assert.equal(artifact.attributes['prefect.artifact.description'], 'Row counts');
        assert.deepEqual([validate.state_type, validate.tags], ['FAILED', ['io', 'check']]);
        // The subflow hangs under its tracking task run; its task sits at depth 3.
        assert.deepEqual([tracking.state_type, tracking.child_state_counts], ['FAILED', { 'flow-run': { Failed: 1 } }]);
        assert.deepEqual([sub.parent_span_id, sub.path], [t.tracking.id, [t.root.id, t.tracking.id]]);
        assert.deepEqual(load.path, [t.root.id, t.tracking.id, t.sub.id]);
      });

      it('filters, and pages with cursors both ways', async () => {
        const ids = async (q: string) => (await get(p(`/traces/${t.root.id}?${q}`))).spans.map((x: Json) => x.span_id);
        assert.deepEqual(await ids('depth=0'), [t.root.id]);
        assert.deepEqual(await ids('depth=3'), [t.load.id]);
        assert.deepEqual(await ids(`parent_span_id=${t.root.id}`), [t.extract.id, t.validate.id, t.tracking.id]);
        assert.deepEqual(await ids('entities=artifact&entities=flow-run'), [t.root.id, t.artifact.id, t.sub.id]);
        assert.deepEqual(await ids('state_types=COMPLETED'), [t.extract.id]);
        assert.deepEqual(await ids('state_names=Failed&depth=1'), [t.validate.id, t.tracking.id]);
        assert.deepEqual(await ids('tags=check&tags=prod'), [t.root.id, t.validate.id, t.load.id]);
        assert.deepEqual(await ids(`query=${encodeURIComponent('load validate')}`), [t.validate.id, t.load.id]);
        assert.deepEqual(await ids(`query=${encodeURIComponent('check -load')}`), [t.validate.id]);
        assert.deepEqual(await ids(`query=${encodeURIComponent('"row counts"')}`), [t.artifact.id]);
        assert.deepEqual(
          await ids(`query=${encodeURIComponent('!etl')}&depth=1`),
          [t.extract.id, t.validate.id],
          'etl_subflow-0 is out',
        );
        assert.deepEqual(
          await ids('query='),
          (await get(p(`/traces/${t.root.id}`))).spans.map((x: Json) => x.span_id),
        );

        const p1 = await get(p(`/traces/${t.root.id}?limit=3&direction=desc`));
        assert.deepEqual(
          p1.spans.map((x: Json) => x.span_id),
          [t.load.id, t.tracking.id, t.sub.id],
        );
        assert.equal(p1.prev_cursor, null);
        const p2 = await get(p(`/traces/${t.root.id}?limit=3&direction=desc&cursor=${p1.next_cursor}`));
        assert.deepEqual(
          p2.spans.map((x: Json) => x.span_id),
          [t.validate.id, t.artifact.id, t.extract.id],
        );
        const p3 = await get(p(`/traces/${t.root.id}?limit=3&cursor=${p2.next_cursor}`));
        assert.deepEqual(
          p3.spans.map((x: Json) => x.span_id),
          [t.root.id],
        );
        assert.equal(p3.next_cursor, null);
        const back = await get(p(`/traces/${t.root.id}?limit=3&cursor=${p3.prev_cursor}`));
        assert.deepEqual(
          back.spans.map((x: Json) => x.span_id),
          p2.spans.map((x: Json) => x.span_id),
        );
        const first = await get(p(`/traces/${t.root.id}?limit=3&direction=desc&cursor=${back.prev_cursor}`));
        assert.deepEqual(
          first.spans.map((x: Json) => x.span_id),
          p1.spans.map((x: Json) => x.span_id),
        );
        assert.equal(first.prev_cursor, null);

        // A filtered cursor sent alone keeps its filters.
        const f1 = await get(p(`/traces/${t.root.id}?limit=1&tags=io`));
        const f2 = await get(p(`/traces/${t.root.id}?cursor=${f1.next_cursor}`));
        assert.deepEqual(
          f2.spans.map((x: Json) => x.span_id),
          [t.validate.id],
        );
        assert.equal(f2.next_cursor, null);
      });

      it('reads spans by id, one span, context, and looks up runs', async () => {
        const byIds = await get(
          p(`/traces/${t.root.id}/spans?ids=${t.load.id}&ids=${other.load.id}&ids=${t.root.id}&ids=${MISSING}`),
        );
        assert.deepEqual(
          byIds.map((x: Json) => x.span_id),
          [t.root.id, t.load.id],
        );
        assert.deepEqual(await get(p(`/traces/${t.root.id}/spans`)), []);
        const one = await get(p(`/traces/${t.root.id}/spans/${t.sub.id}`));
        assert.deepEqual([one.span_id, one.name, one.state_type], [t.sub.id, t.sub.name, 'FAILED']);

        const c = await get(p(`/traces/${t.root.id}/context/${t.load.id}`));
        assert.deepEqual(Object.keys(c), [
          'spans',
          'next_cursor',
          'prev_cursor',
          'target_span_id',
          'has_more_before',
          'has_more_after',
        ]);
        assert.deepEqual(
          c.spans.map((x: Json) => x.span_id),
          [t.root.id, t.tracking.id, t.sub.id, t.load.id],
        );
        assert.deepEqual(
          c.spans.map((x: Json) => x.state_type),
          ['FAILED', 'FAILED', 'FAILED', 'FAILED'],
          'FAILED up the path',
        );
        assert.deepEqual(
          [c.target_span_id, c.has_more_before, c.has_more_after, c.next_cursor, c.prev_cursor],
          [t.load.id, false, false, null, null],
        );
        const c2 = await get(p(`/traces/${t.root.id}/context/${t.validate.id}?context_size=1`));
        assert.deepEqual(
          c2.spans.map((x: Json) => x.span_id),
          [t.root.id, t.extract.id, t.validate.id, t.tracking.id],
        );
        const c3 = await get(p(`/traces/${t.root.id}/context/${t.extract.id}?context_size=1`));
        assert.deepEqual([c3.has_more_before, c3.has_more_after], [false, true]);
        const rest = await get(p(`/traces/${t.root.id}?cursor=${c3.next_cursor}`));
        assert.deepEqual(
          rest.spans.map((x: Json) => x.span_id),
          [t.tracking.id],
        );

        for (const id of [t.root.id, t.load.id, t.artifact.id, t.sub.id]) {
          assert.deepEqual(await get(p(`/spans/lookup/${id}`)), { trace_id: t.root.id, span_id: id });
        }
      });

      it('observes tags and states', async () => {
        assert.deepEqual(await get(p(`/traces/${t.root.id}/observed-tags`)), [
          { tag: 'check', count: 2 },
          { tag: 'etl', count: 2 },
          { tag: 'io', count: 2 },
          { tag: 'prod', count: 1 },
        ]);
        assert.deepEqual(await get(p(`/traces/${t.root.id}/observed-tags?query=P`)), [{ tag: 'prod', count: 1 }]);
        assert.deepEqual(await get(p(`/spans/${t.tracking.id}/observed-tags`)), [
          { tag: 'check', count: 1 },
          { tag: 'etl', count: 1 },
        ]);
        const states = await get(p(`/traces/${t.root.id}/observed-states?order_by=NAME_ASC`));
        assert.deepEqual(
          states.map((x: Json) => [x.state_type, x.state_name]),
          [
            ['COMPLETED', 'Completed'],
            ['FAILED', 'Failed'],
          ],
        );
        for (const x of states) {
          assert.deepEqual(Object.keys(x), ['state_type', 'state_name', 'first_seen', 'last_seen']);
          assert.ok(x.first_seen <= x.last_seen);
        }
        const recent = await get(p(`/traces/${t.root.id}/observed-states?limit=1`));
        assert.deepEqual(
          recent.map((x: Json) => x.state_name),
          ['Failed'],
        );
        assert.deepEqual(
          (await get(p('/observed-states?query=comp'))).map((x: Json) => x.state_name),
          ['Completed'],
        );
        assert.equal((await get(p('/observed-states'))).length, 4);
      });

      it('answers unknown ids with 404 and bad input with 422', async () => {
        assert.deepEqual(await get(p(`/traces/${MISSING}`), 404), { detail: 'Trace not found' });
        await get(p(`/traces/${MISSING}/spans?ids=${t.root.id}`), 404);
        await get(p(`/traces/${MISSING}/observed-tags`), 404);
        await get(p(`/traces/${MISSING}/observed-states`), 404);
        assert.deepEqual(await get(p(`/traces/${t.root.id}/spans/${other.load.id}`), 404), {
          detail: 'Span not found',
        });
        assert.deepEqual(await get(p(`/traces/${t.root.id}/context/${other.load.id}`), 404), {
          detail: 'Span not found',
        });
        await get(p(`/traces/${t.root.id}/context/${MISSING}`), 404);
        await get(p(`/spans/lookup/${MISSING}`), 404);
        await get(p(`/spans/${MISSING}/observed-tags`), 404);
        assert.deepEqual(await get(p('/traces/not-a-uuid'), 404), { detail: 'Not Found' });

        const bad = async (q: string, loc: (string | number)[]) => {
          const body = await get(p(`/traces/${t.root.id}${q}`), 422);
          const issues = family === 'cloud' ? body.detail : body.exception_detail;
          assert.ok(Array.isArray(issues) && issues.length > 0, JSON.stringify(body));
          assert.deepEqual(issues[0].loc, loc, `${q}: ${JSON.stringify(body)}`);
          assert.equal(typeof issues[0].msg, 'string');
        };
        await bad('?entities=flow', ['query', 'entities', 0]);
        await bad('?entities=flow-run,bogus', ['query', 'entities', 1]);
        await bad('?state_types=DONE', ['query', 'state_types', 0]);
        await bad('?direction=up', ['query', 'direction']);
        await bad('?limit=0', ['query', 'limit']);
        await bad('?limit=1001', ['query', 'limit']);
        await bad('?depth=-1', ['query', 'depth']);
        await bad('?parent_span_id=nope', ['query', 'parent_span_id']);
        await bad(`?query=${'x'.repeat(201)}`, ['query', 'query']);
        await bad('?cursor=garbage', ['query', 'cursor']);
        await bad(`/context/${t.load.id}?context_size=0`, ['query', 'context_size']);
        await bad(`/context/${t.load.id}?context_size=101`, ['query', 'context_size']);
        await bad('/spans?ids=nope', ['query', 'ids', 0]);
        await bad(`/observed-tags?query=${'x'.repeat(101)}`, ['query', 'query']);
        await bad('/observed-states?order_by=NEWEST', ['query', 'order_by']);
        await bad('/observed-states?limit=501', ['query', 'limit']);
        const wsBad = await get(p('/observed-states?limit=201'), 422);
        assert.ok(JSON.stringify(wsBad).includes('limit'));

        // Cursors: tampered, of another trace, of other filters.
        const page = await get(p(`/traces/${t.root.id}?limit=1&tags=io`));
        const cursor: string = page.next_cursor;
        const [body, sig] = cursor.split('.');
        const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), b: 1 })).toString('base64url')}.${sig}`;
        await bad(`?cursor=${forged}`, ['query', 'cursor']);
        await bad(`?cursor=${cursor.slice(0, -2)}`, ['query', 'cursor']);
        await get(p(`/traces/${other.root.id}?cursor=${cursor}`), 422);
        const mismatch = await get(p(`/traces/${t.root.id}?cursor=${cursor}&tags=check`), 422);
        assert.match(JSON.stringify(mismatch), /other filters/);
        await get(p(`/traces/${t.root.id}?cursor=${cursor}&tags=io&limit=5`));
      });
    });
  }

  it('keeps workspaces apart', async () => {
    const other = await s.app.store.tenancy.createWorkspace({
      accountId: s.accountId,
      name: 'x',
      handle: 'spans-x',
      description: null,
    });
    await get(s.cloud(`/traces/${t.root.id}`, other.id), 404);
    await get(s.cloud(`/spans/lookup/${t.root.id}`, other.id), 404);
    assert.deepEqual(await get(s.cloud('/observed-states', other.id)), []);
  });

  it('follows run deletes: a deleted root takes its trace along, a detached subflow becomes a trace', async () => {
    const c = new RunClient(s, 'oss');
    const d = await buildTrace(c, 'd');
    await c.call('DELETE', `/task_runs/${d.tracking.id}`, undefined, 204);
    const sub = await get(s.oss(`/traces/${d.sub.id}`));
    assert.deepEqual(
      sub.spans.map((x: Json) => [x.span_id, x.path.length]),
      [
        [d.sub.id, 0],
        [d.load.id, 1],
      ],
    );
    await c.call('DELETE', `/flow_runs/${d.root.id}`, undefined, 204);
    await get(s.oss(`/traces/${d.root.id}`), 404);
    await get(s.oss(`/spans/lookup/${d.artifact.id}`), 404);
    assert.deepEqual(await get(s.oss(`/spans/lookup/${d.load.id}`)), { trace_id: d.sub.id, span_id: d.load.id });
  });
});
