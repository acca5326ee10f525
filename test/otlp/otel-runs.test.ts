/**
 * OTel spans joined to Prefect runs (issue 23): the real SDK exports a flow run's and a task run's
 * spans (with `prefect.run.id`, as Prefect's instrumentation writes them) and user spans two levels
 * below the task; the runs carry `__OTEL_TRACEPARENT` as Prefect's client sets it (flow runs via
 * `PATCH /flow_runs/{id}/labels`, task runs in their events). Whether the labels and the task run
 * come before or after the OTel data, the run spans are enriched and the user spans end up under the task run, at the right depth.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { context, type Span, trace } from '@opentelemetry/api';
import { uuid7 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { finish, type Protocol, takeWarnings, tracerProvider } from '../helpers/otel.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const traceparent = (s: Span) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;
const spanUuid = (s: Span) => {
  const h = s.spanContext().spanId;
  return `00000000-0000-0000-${h.slice(0, 4)}-${h.slice(4)}`;
};
const ISO = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

function taskEvent(taskRunId: string, flowRunId: string, labels: Record<string, string>) {
  return {
    occurred: ISO(10),
    event: 'prefect.task-run.Running',
    resource: {
      'prefect.resource.id': `prefect.task-run.${taskRunId}`,
      'prefect.resource.name': 'extract-0',
      'prefect.state-name': 'Running',
      'prefect.state-type': 'RUNNING',
      'prefect.orchestration': 'client',
    },
    related: [{ 'prefect.resource.id': `prefect.flow-run.${flowRunId}`, 'prefect.resource.role': 'flow-run' }],
    payload: {
      intended: { from: 'PENDING', to: 'RUNNING' },
      initial_state: null,
      validated_state: { type: 'RUNNING', name: 'Running', message: '', state_details: {}, data: null },
      task_run: {
        name: 'extract-0',
        task_key: 'extract-1',
        dynamic_key: '0',
        tags: [],
        labels,
        task_inputs: {},
        run_count: 1,
        flow_run_run_count: 1,
        expected_start_time: ISO(0),
        start_time: ISO(10),
      },
    },
    id: uuid7(),
    follows: null,
  };
}

forEachEngine('OTel spans joined to runs', (engine) => {
  let server: TestServer;
  let base: string;
  let c: RunClient;

  before(async () => {
    server = await startServer(engine);
    base = await server.listen();
    c = new RunClient(server);
  });
  after(() => server.close());

  const get = async (path: string): Promise<Json> => {
    const res = await server.request('GET', server.oss(path));
    assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
    return res.json();
  };

  /** A flow run and a task run with their OTel spans as Prefect opens them, and user spans below the task. */
  async function scenario(order: 'runs first' | 'otel first', protocol: Protocol) {
    // The server names flow runs, so the flow run exists first; its label and the task run (from
    // events) may come after the OTel data.
    const flowRunId = (await c.run(undefined, { name: 'nimble-okapi' })).id as string;
    const taskRunId = uuid7();
    const tp = tracerProvider({ url: `${base}/otlp/v1/traces`, protocol }, { 'service.name': 'etl-worker' });
    const tracer = tp.getTracer('prefect', '3.8.3');
    const flowSpan = tracer.startSpan('nimble-okapi', {
      attributes: { 'prefect.run.id': flowRunId, 'prefect.run.type': 'flow', 'prefect.run.name': 'nimble-okapi' },
    });
    flowSpan.addEvent('Running', { 'prefect.state.type': 'RUNNING' });
    const taskSpan = tracer.startSpan(
      'extract-0',
      { attributes: { 'prefect.run.id': taskRunId, 'prefect.run.type': 'task' } },
      trace.setSpan(context.active(), flowSpan),
    );
    const user = tracer.startSpan('fetch page', { attributes: { page: 1 } }, trace.setSpan(context.active(), taskSpan));
    const inner = tracer.startSpan('parse', {}, trace.setSpan(context.active(), user));

    const runs = async () => {
      await c.call('PATCH', `/flow_runs/${flowRunId}/labels`, { __OTEL_TRACEPARENT: traceparent(flowSpan) }, 204);
      const r = await server.request('POST', server.oss('/events'), [
        taskEvent(taskRunId, flowRunId, { __OTEL_TRACEPARENT: traceparent(taskSpan) }),
      ]);
      assert.equal(r.statusCode, 204, r.body);
    };
    if (order === 'runs first') await runs();
    // Children end first: each is exported before its parent.
    inner.end();
    user.end();
    taskSpan.end();
    flowSpan.end();
    await finish(tp);
    assert.deepEqual(takeWarnings(), []);
    if (order === 'otel first') await runs();
    return { flowRunId, taskRunId, user, inner };
  }

  for (const [order, protocol] of [
    ['runs first', 'protobuf'],
    ['otel first', 'json'],
  ] as const) {
    it(`joins user spans under their task run and enriches the run spans (${order})`, async () => {
      const { flowRunId, taskRunId, user, inner } = await scenario(order, protocol);
      const spans = (await get(`/traces/${flowRunId}`)).spans as Json[];
      const byId = new Map(spans.map((s) => [s.span_id, s]));
      const flow = byId.get(flowRunId);
      const task = byId.get(taskRunId);
      assert.ok(flow && task, JSON.stringify(spans.map((s) => [s.span_id, s.name])));
      // The run spans are not doubled by the OTel spans that name them.
      assert.equal(spans.length, 4, JSON.stringify(spans.map((s) => s.name)));
      assert.equal(flow.span_type, 'flow-run');
      assert.equal(flow.attributes['prefect.run.type'], 'flow');
      assert.equal(flow.attributes['resource.service.name'], 'etl-worker');
      assert.equal(flow.attributes['otel.scope'], 'prefect');
      assert.match(flow.attributes['otel.events'], /"name":"Running"/);
      const u = byId.get(spanUuid(user));
      const i = byId.get(spanUuid(inner));
      assert.equal(u.span_type, 'otel');
      assert.equal(u.parent_span_id, taskRunId);
      assert.deepEqual(u.path, [flowRunId, taskRunId]);
      assert.equal(i.parent_span_id, u.span_id);
      assert.deepEqual(i.path, [flowRunId, taskRunId, u.span_id]);
      assert.equal(task.child_count, 1);
      assert.deepEqual(task.child_state_counts, { otel: { Completed: 1 } });
      assert.deepEqual(await get(`/spans/lookup/${i.span_id}`), { trace_id: flowRunId, span_id: i.span_id });
      assert.deepEqual((await get(`/traces/${flowRunId}?entities=otel`)).spans.map((s: Json) => s.name).sort(), [
        'fetch page',
        'parse',
      ]);
    });
  }

  it('diagnose-flow-run follows the failure into the user span and answers with its recorded exception', async () => {
    const flowRunId = (await c.run(undefined, { name: 'brave-otter' })).id as string;
    const task = await c.call(
      'POST',
      '/task_runs/',
      { flow_run_id: flowRunId, task_key: 'load-1', dynamic_key: '0', name: 'load-0' },
      201,
    );
    const tp = tracerProvider({ url: `${base}/otlp/v1/traces`, protocol: 'protobuf' }, { 'service.name': 'etl' });
    const tracer = tp.getTracer('prefect', '3.8.3');
    const taskSpan = tracer.startSpan('load-0', {
      attributes: { 'prefect.run.id': task.id, 'prefect.run.type': 'task' },
    });
    const user = tracer.startSpan('write batch', {}, trace.setSpan(context.active(), taskSpan));
    const err = new Error("relation 'orders' does not exist");
    err.name = 'UndefinedTable';
    user.recordException(err);
    user.setStatus({ code: 2, message: "relation 'orders' does not exist" });
    user.end();
    taskSpan.end();
    await finish(tp);
    assert.deepEqual(takeWarnings(), []);
    await c.setState(task.id, 'FAILED', { message: 'Task run encountered an exception' }, true, 'task_runs');
    await c.setState(flowRunId, 'FAILED', { message: '1/1 states failed.' }, true);

    const r = await server.request('POST', '/api/v1/agent/diagnose-flow-run', { flow_run_id: flowRunId });
    assert.equal(r.statusCode, 200, r.body);
    const d = r.json() as Json;
    assert.deepEqual(
      d.failing_path.map((p: Json) => [p.name, p.span_type, p.state_name]),
      [
        ['brave-otter', 'flow-run', 'Failed'],
        ['load-0', 'task-run', 'Failed'],
        ['write batch', 'otel', 'Error'],
      ],
    );
    const [first] = d.errors;
    assert.equal(first.source, 'otel');
    assert.equal(first.span_id, spanUuid(user));
    assert.equal(first.span_name, 'write batch');
    assert.equal(first.exception_type, 'UndefinedTable');
    assert.equal(first.message, "UndefinedTable: relation 'orders' does not exist");
    assert.match(first.traceback, /^UndefinedTable: relation 'orders' does not exist\n\s+at /);
    assert.match(d.summary, /ended Failed in span 'write batch': UndefinedTable: relation 'orders' does not exist$/);
    // The user span renders its events like a run span does.
    const span = ((await get(`/traces/${flowRunId}`)).spans as Json[]).find((x) => x.span_id === spanUuid(user));
    assert.match(span.attributes['otel.events'], /"name":"exception"/);
  });
});
