/**
 * OTLP/HTTP endpoints (issue 23): both path families and `--otlp-port`, the real OpenTelemetry
 * exporters in JSON and protobuf, plain and gzip, and the bad-input answers (400 `Status`, 413
 * without inflating a bomb whole, 415, metrics answered with rejected data points).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeResponse } from '../../src/api/otlp/proto-decode.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { finish, loggerProvider, type Protocol, takeWarnings, tracerProvider } from '../helpers/otel.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const SPAN = {
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  name: 'work',
  kind: 1,
  startTimeUnixNano: '1765000000000000000',
  endTimeUnixNano: 1765000001000000000,
  attributes: [{ key: 'n', value: { intValue: 3 } }],
};
const traces = (spans: unknown[]) => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }],
});

forEachEngine('OTLP endpoints', (engine) => {
  let server: TestServer;
  let base: string;
  let otlpBase: string;

  before(async () => {
    server = await startServer(engine, { 'otlp-port': '0', 'otlp-max-body': String(1024 * 1024) });
    base = (await server.listen()).replace(/\/api$/, '');
    otlpBase = server.app.otlpUrl!;
  });
  after(() => server.close());

  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(base + path, { method: 'POST', body, headers });

  it('takes the real exporters on both path families and --otlp-port, JSON and protobuf, plain and gzip', async () => {
    const cloud = `/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/otlp`;
    for (const root of [`${base}/api/otlp`, base + cloud, otlpBase])
      for (const protocol of ['json', 'protobuf'] as Protocol[])
        for (const gzip of [false, true]) {
          const tp = tracerProvider({ url: `${root}/v1/traces`, protocol, gzip });
          const tracer = tp.getTracer('endpoint-test');
          tracer.startActiveSpan('parent', (p) => {
            tracer.startSpan('child').end();
            p.end();
          });
          await finish(tp);
          const lp = loggerProvider({ url: `${root}/v1/logs`, protocol, gzip });
          lp.getLogger('endpoint-test').emit({ severityNumber: 9, body: `hello ${protocol} ${gzip}` });
          await finish(lp);
          // Everything stored: no partial success, no failure for the SDK to warn about.
          assert.deepEqual(takeWarnings(), [], `${root} ${protocol} gzip=${gzip}`);
        }
  });

  it('answers metrics with every data point rejected, in the request encoding', async () => {
    const body = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'cpu', gauge: { dataPoints: [{ asDouble: 0.5 }, { asDouble: 0.7 }] } },
                { name: 'n', sum: { dataPoints: [{ asInt: '3' }], isMonotonic: true } },
              ],
            },
          ],
        },
      ],
    };
    const res = await post('/api/otlp/v1/metrics', JSON.stringify(body), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      partialSuccess: { rejectedDataPoints: 3, errorMessage: 'Sightline does not store metrics' },
    });
    const empty = await fetch(`${otlpBase}/v1/metrics`, {
      method: 'POST',
      body: new Uint8Array(0),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    assert.equal(empty.status, 200);
    assert.equal(empty.headers.get('content-type'), 'application/x-protobuf');
    assert.deepEqual(decodeResponse('metrics', new Uint8Array(await empty.arrayBuffer())), {});
  });

  it('counts invalid spans in partial_success, naming the first reasons', async () => {
    const bad = [
      { ...SPAN, traceId: '00000000000000000000000000000000' },
      { ...SPAN, spanId: 'abc' },
      { ...SPAN, startTimeUnixNano: '1765000002000000000' },
    ];
    const res = await post('/api/otlp/v1/traces', JSON.stringify(traces(bad)), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    const json = (await res.json()) as Json;
    assert.ok(json.partialSuccess.rejectedSpans >= 3);
    assert.match(json.partialSuccess.errorMessage, /span 0: trace id is all zero/);
    assert.match(json.partialSuccess.errorMessage, /span 1: span id is not 16 hex digits/);
    assert.match(json.partialSuccess.errorMessage, /span 2: end time is before start time/);
  });

  it('answers an undecodable body 400 with a google.rpc.Status in the request content type', async () => {
    const proto = await post('/api/otlp/v1/traces', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]), {
      'content-type': 'application/x-protobuf',
    });
    assert.equal(proto.status, 400);
    assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
    const status = decodeResponse('status', new Uint8Array(await proto.arrayBuffer()));
    assert.equal(status.code, 3);
    assert.match(String(status.message), /ExportTraceServiceRequest/);

    for (const [body, message] of [
      ['{"resourceSpans": ', /not valid JSON/],
      ['{"resourceSpans": {}}', /resourceSpans is not an array/],
      [JSON.stringify(traces([{ ...SPAN, startTimeUnixNano: 'soon' }])), /startTimeUnixNano is not an integer/],
      [JSON.stringify(traces([{ ...SPAN, attributes: [{ key: 'k', value: { boolValue: 'yes' } }] }])), /boolValue/],
    ] as const) {
      const res = await post('/api/otlp/v1/traces', body, { 'content-type': 'application/json' });
      assert.equal(res.status, 400, body);
      const s = (await res.json()) as Json;
      assert.equal(s.code, 3);
      assert.match(s.message, message);
    }
    const gz = await post('/api/otlp/v1/logs', 'not gzip', {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(gz.status, 400);
    assert.match(((await gz.json()) as Json).message, /not valid gzip/);
  });

  it('refuses other content types and encodings with 415', async () => {
    for (const headers of [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/xml' },
      { 'content-type': 'application/json', 'content-encoding': 'br' },
    ] as Record<string, string>[]) {
      const res = await post('/api/otlp/v1/logs', '{}', headers);
      assert.equal(res.status, 415, JSON.stringify(headers));
    }
    // Protobuf is a body type of the OTLP paths only.
    const elsewhere = await post('/api/logs/', 'x', { 'content-type': 'application/x-protobuf' });
    assert.equal(elsewhere.status, 415);
  });

  it('answers a gzip bomb 413 without inflating it whole, and a body over the limit 413', async () => {
    // 64 MiB of zeros inflate from ~64 KiB; the limit here is 1 MiB.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    const res = await post('/api/otlp/v1/traces', bomb, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    assert.equal(res.status, 413);
    const s = decodeResponse('status', new Uint8Array(await res.arrayBuffer()));
    assert.match(String(s.message), /--otlp-max-body/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024, 'the bomb was not inflated whole');
    const big = await post('/api/otlp/v1/logs', Buffer.alloc(2 * 1024 * 1024, 0x20), {
      'content-type': 'application/json',
    });
    assert.equal(big.status, 413);
  });

  it('serves POST only, and a missing body type is 415', async () => {
    const get = await fetch(`${base}/api/otlp/v1/traces`);
    assert.equal(get.status, 405);
    const none = await fetch(`${otlpBase}/v1/traces`, { method: 'POST' });
    assert.equal(none.status, 415);
  });
});
