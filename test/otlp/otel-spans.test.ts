/**
 * OTel spans in the span model (issue 23): a non-Prefect service's trace exported by the real SDK
 * and read back through the nine span operations by its UUID, `entities=otel`, children that
 * arrive before their parents, idempotent re-sends, and a span id another trace already uses.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { forEachEngine } from '../helpers/engines.ts';
import { finish, takeWarnings, tracerProvider } from '../helpers/otel.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const spanUuid = (hex: string) => `00000000-0000-0000-${hex.slice(0, 4)}-${hex.slice(4)}`;
const traceUuid = (h: string) =>
  `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

const NS = 1_765_000_000_000_000_000n;
function jsonSpan(traceId: string, spanId: string, parentSpanId: string, name: string, startMs: number) {
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: 1,
    startTimeUnixNano: String(NS + BigInt(startMs) * 1_000_000n),
    endTimeUnixNano: String(NS + BigInt(startMs + 5) * 1_000_000n),
  };
}
const exportOf = (spans: unknown[]) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
      scopeSpans: [{ scope: { name: 'manual' }, spans }],
    },
  ],
});

forEachEngine('OTel spans', (engine) => {
  let server: TestServer;
  let base: string;

  before(async () => {
    server = await startServer(engine);
    base = await server.listen();
  });
  after(() => server.close());

  const get = async (path: string): Promise<Json> => {
    const res = await server.request('GET', server.oss(path));
    assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
    return res.json();
  };
  const exportJson = async (body: unknown): Promise<Json> => {
    const res = await fetch(`${base}/otlp/v1/traces`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 200);
    return res.json();
  };

  it("stores a service's trace under its trace id, readable through the nine span operations", async () => {
    const tp = tracerProvider({ url: `${base}/otlp/v1/traces`, protocol: 'protobuf', gzip: true });
    const tracer = tp.getTracer('orders-http', '1.2.3');
    // Parents passed explicitly: no context manager is installed.
    const root = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, attributes: { 'http.status': 500 } });
    const load = tracer.startSpan('load', {}, trace.setSpan(context.active(), root));
    const q = tracer.startSpan(
      'SELECT orders',
      { kind: SpanKind.CLIENT, attributes: { 'db.rows': 3, tags: ['a', 'b'] } },
      trace.setSpan(context.active(), load),
    );
    q.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
    // Children end (and are exported) before their parents, as in real programs.
    q.end();
    load.end();
    root.end();
    const traceHex = root.spanContext().traceId;
    const ids = { root: root.spanContext().spanId, load: load.spanContext().spanId, query: q.spanContext().spanId };
    await finish(tp);
    assert.deepEqual(takeWarnings(), []);

    const tid = traceUuid(traceHex);
    const page = await get(`/traces/${tid}`);
    const byName = new Map<string, Json>(page.spans.map((s: Json) => [s.name, s]));
    assert.deepEqual([...byName.keys()].sort(), ['GET /orders', 'SELECT orders', 'load']);
    const rootSpan = byName.get('GET /orders');
    const loadSpan = byName.get('load');
    const query = byName.get('SELECT orders');
    assert.equal(rootSpan.span_id, spanUuid(ids.root));
    assert.equal(rootSpan.trace_id, tid);
    assert.equal(rootSpan.span_type, 'otel');
    assert.equal(rootSpan.parent_span_id, null);
    assert.equal(loadSpan.parent_span_id, rootSpan.span_id);
    assert.deepEqual(query.path, [rootSpan.span_id, loadSpan.span_id]);
    assert.equal(query.state_type, 'FAILED');
    assert.equal(query.state_name, 'Error');
    assert.equal(loadSpan.state_type, 'COMPLETED');
    assert.equal(query.attributes['db.rows'], 3);
    assert.equal(query.attributes.tags, '["a","b"]');
    assert.equal(query.attributes['otel.kind'], 'client');
    assert.equal(query.attributes['otel.scope'], 'orders-http');
    assert.equal(query.attributes['otel.status_message'], 'deadlock');
    assert.equal(query.attributes['resource.service.name'], 'test-svc');
    assert.equal(
      rootSpan.child_count,
      1,
      JSON.stringify(page.spans.map((s: Json) => [s.name, s.path, s.child_count, s.version])),
    );
    assert.deepEqual(loadSpan.child_state_counts, { otel: { Error: 1 } });
    assert.ok(Number(query.running_time) >= 0);

    assert.deepEqual(
      (await get(`/traces/${tid}?depth=0`)).spans.map((s: Json) => s.name),
      ['GET /orders'],
    );
    assert.equal((await get(`/traces/${tid}?entities=otel`)).spans.length, 3);
    assert.equal((await get(`/traces/${tid}?entities=flow-run`)).spans.length, 0);
    const around = await get(`/traces/${tid}/context/${query.span_id}`);
    assert.ok(around.spans.some((s: Json) => s.span_id === rootSpan.span_id));
    assert.deepEqual(
      (await get(`/traces/${tid}/spans?ids=${query.span_id}&ids=${loadSpan.span_id}`)).map((s: Json) => s.name).sort(),
      ['SELECT orders', 'load'],
    );
    assert.equal((await get(`/traces/${tid}/spans/${query.span_id}`)).name, 'SELECT orders');
    assert.deepEqual(await get(`/spans/lookup/${loadSpan.span_id}`), { trace_id: tid, span_id: loadSpan.span_id });
    assert.deepEqual(await get(`/traces/${tid}/observed-tags`), []);
    assert.deepEqual(await get(`/spans/${rootSpan.span_id}/observed-tags`), []);
    const states = (await get(`/traces/${tid}/observed-states`)).map((s: Json) => `${s.state_type}/${s.state_name}`);
    assert.deepEqual(states.sort(), ['COMPLETED/Completed', 'FAILED/Error']);
    const ws = (await get('/observed-states')).map((s: Json) => `${s.state_type}/${s.state_name}`);
    assert.ok(ws.includes('FAILED/Error'), ws.join());
    // The Cloud path family reads the same trace.
    const cloud = await server.request('GET', server.cloud(`/traces/${tid}`));
    assert.equal(cloud.json().spans.length, 3);
  });

  it('places children that arrive before their parents, and converges whatever the order', async () => {
    const t = 'aa000000000000000000000000000001';
    const [a, b, c] = ['a000000000000001', 'b000000000000002', 'c000000000000003'];
    // Grandchild first, then the child, then the root, each in its own export.
    assert.deepEqual(await exportJson(exportOf([jsonSpan(t, c, b, 'c', 2)])), {});
    const waiting = await get(`/traces/${traceUuid(t)}/spans/${spanUuid(c)}`);
    assert.equal(waiting.parent_span_id, spanUuid(b));
    assert.deepEqual(waiting.path, [spanUuid(b)]);
    assert.deepEqual(await exportJson(exportOf([jsonSpan(t, b, a, 'b', 1)])), {});
    assert.deepEqual(await exportJson(exportOf([jsonSpan(t, a, '', 'a', 0)])), {});
    const spans = (await get(`/traces/${traceUuid(t)}`)).spans as Json[];
    const by = new Map(spans.map((s) => [s.name, s]));
    assert.deepEqual(by.get('c').path, [spanUuid(a), spanUuid(b)]);
    assert.equal(by.get('c').trace_id, traceUuid(t));
    assert.equal(by.get('a').child_count, 1);
    assert.equal(by.get('b').child_count, 1);
    assert.deepEqual(
      (await get(`/traces/${traceUuid(t)}?depth=2`)).spans.map((s: Json) => s.name),
      ['c'],
    );
  });

  it('takes a re-sent export as a no-op and rejects a span id another trace uses', async () => {
    const t = 'bb000000000000000000000000000002';
    const body = exportOf([
      jsonSpan(t, 'd000000000000004', '', 'root', 0),
      jsonSpan(t, 'e000000000000005', 'd000000000000004', 'leaf', 1),
    ]);
    assert.deepEqual(await exportJson(body), {});
    const first = (await get(`/traces/${traceUuid(t)}`)).spans as Json[];
    assert.deepEqual(await exportJson(body), {});
    const again = (await get(`/traces/${traceUuid(t)}`)).spans as Json[];
    assert.equal(again.length, 2);
    assert.deepEqual(
      again.map((s) => [s.span_id, s.version, s.child_count]),
      first.map((s) => [s.span_id, s.version, s.child_count]),
    );
    const other = 'cc000000000000000000000000000003';
    const res = await exportJson(
      exportOf([
        jsonSpan(other, 'e000000000000005', '', 'thief', 0),
        jsonSpan(other, 'f000000000000006', '', 'fine', 0),
      ]),
    );
    assert.equal(res.partialSuccess.rejectedSpans, 1);
    assert.match(res.partialSuccess.errorMessage, /span 0: span id is already used by another trace/);
    assert.equal((await get(`/traces/${traceUuid(t)}/spans/${spanUuid('e000000000000005')}`)).name, 'leaf');
    assert.equal((await get(`/traces/${traceUuid(other)}`)).spans.length, 1);
  });
});
