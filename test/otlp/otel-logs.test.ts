/**
 * OTLP log records as Prefect logs (issue 23): the severity table, body types, scope → logger,
 * timestamps, NUL stripped, idempotent re-sends, and run linking by attribute, by span and late
 * (the span joins a run after the record arrived, ADR 48) — read back like any log.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { uuid7 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { finish, loggerProvider, takeWarnings, tracerProvider } from '../helpers/otel.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const T0 = 1_765_000_000_000_000_000n;
const kv = (key: string, value: Json) => ({ key, value });

function record(o: Json) {
  return { timeUnixNano: String(T0 + 1_234_567n), severityNumber: 9, body: { stringValue: 'x' }, ...o };
}
const logsExport = (records: unknown[], scope = 'app.db', resource: unknown[] = []) => ({
  resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: scope }, logRecords: records }] }],
});

/** A task run of flow run `runId` whose `__OTEL_TRACEPARENT` label names OTel span `taskSpan`, through `POST /events`. */
async function startTaskRun(server: TestServer, runId: string, taskRunId: string, traceHex: string, taskSpan: string) {
  const r = await server.request('POST', server.oss('/events'), [
    {
      occurred: new Date().toISOString(),
      event: 'prefect.task-run.Running',
      resource: {
        'prefect.resource.id': `prefect.task-run.${taskRunId}`,
        'prefect.state-name': 'Running',
        'prefect.state-type': 'RUNNING',
        'prefect.orchestration': 'client',
      },
      related: [{ 'prefect.resource.id': `prefect.flow-run.${runId}`, 'prefect.resource.role': 'flow-run' }],
      payload: {
        intended: { from: 'PENDING', to: 'RUNNING' },
        initial_state: null,
        validated_state: { type: 'RUNNING', name: 'Running', message: '', state_details: {}, data: null },
        task_run: {
          name: 't-0',
          task_key: 't',
          dynamic_key: '0',
          tags: [],
          labels: { __OTEL_TRACEPARENT: `00-${traceHex}-${taskSpan}-01` },
          task_inputs: {},
          run_count: 1,
          flow_run_run_count: 1,
          expected_start_time: new Date().toISOString(),
          start_time: new Date().toISOString(),
        },
      },
      id: uuid7(),
      follows: null,
    },
  ]);
  assert.equal(r.statusCode, 204, r.body);
}

forEachEngine('OTLP logs', (engine) => {
  let server: TestServer;
  let base: string;
  let c: RunClient;

  before(async () => {
    server = await startServer(engine);
    base = await server.listen();
    c = new RunClient(server);
  });
  after(() => server.close());

  const send = async (body: unknown): Promise<Json> => {
    const res = await fetch(`${base}/otlp/v1/logs`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text);
  };
  const logsOf = async (filter: Json): Promise<Json[]> => {
    const res = await server.request('POST', server.oss('/logs/filter'), { logs: filter, limit: 200 });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  it('maps severity, body, scope and time as the issue says', async () => {
    const run = await c.run();
    const attrs = [kv('prefect.flow_run.id', { stringValue: run.id })];
    const cases: [Json, number, string][] = [
      [{ severityNumber: 1 }, 10, 'x'],
      [{ severityNumber: 8 }, 10, 'x'],
      [{ severityNumber: 9 }, 20, 'x'],
      [{ severityNumber: 13 }, 30, 'x'],
      [{ severityNumber: 17 }, 40, 'x'],
      [{ severityNumber: 24 }, 50, 'x'],
      [{ severityNumber: 0, severityText: 'warning' }, 30, 'x'],
      [{ severityNumber: 0, severityText: 'CRITICAL' }, 50, 'x'],
      [{ severityNumber: 0, severityText: 'notice' }, 20, 'x'],
      [{ body: { intValue: '7' } }, 20, '7'],
      [{ body: { kvlistValue: { values: [kv('a', { boolValue: true })] } } }, 20, '{"a":true}'],
      [{ body: { stringValue: 'nul\u0000gone' } }, 20, 'nulgone'],
      [{ body: undefined }, 20, ''],
    ];
    const records = cases.map(([o], i) => record({ ...o, attributes: [...attrs, kv('i', { intValue: i })] }));
    assert.deepEqual(await send(logsExport(records)), {});
    const logs = await logsOf({ flow_run_id: { any_: [run.id] } });
    assert.equal(logs.length, cases.length);
    const got = logs.map((l) => [l.level, l.message]).sort();
    assert.deepEqual(got, cases.map(([, level, message]) => [level, message]).sort());
    assert.ok(logs.every((l) => l.name === 'app.db' && l.timestamp.endsWith('.001234Z') && l.task_run_id === null));
    // An empty scope name is the `otel` logger; observedTimeUnixNano stands in for a missing time.
    assert.deepEqual(
      await send(
        logsExport(
          [
            {
              observedTimeUnixNano: String(T0 + 5_000n),
              severityNumber: 9,
              body: { stringValue: 'observed' },
              attributes: attrs,
            },
          ],
          '',
        ),
      ),
      {},
    );
    const observed = (await logsOf({ flow_run_id: { any_: [run.id] } })).find((l) => l.message === 'observed');
    assert.equal(observed.name, 'otel');
    assert.ok(observed.timestamp.endsWith('.000005Z'), observed.timestamp);
  });

  it('stores a re-sent export once, and rejects records without a time or with bad ids', async () => {
    const run = await c.run();
    const body = logsExport([record({ body: { stringValue: 'once' } })], 'retry', [
      kv('prefect.flow-run.id', { stringValue: run.id }),
    ]);
    assert.deepEqual(await send(body), {});
    assert.deepEqual(await send(body), {});
    assert.equal((await logsOf({ flow_run_id: { any_: [run.id] } })).length, 1);
    const res = await send(
      logsExport([
        { severityNumber: 9, body: { stringValue: 'no time' } },
        record({ traceId: 'abc', spanId: '1111111111111111' }),
      ]),
    );
    assert.equal(res.partialSuccess.rejectedLogRecords, 2);
    assert.match(res.partialSuccess.errorMessage, /log record 0: neither timeUnixNano nor observedTimeUnixNano/);
    assert.match(res.partialSuccess.errorMessage, /log record 1: trace id is not 32 hex digits/);
  });

  it('links a record to its task run through its span, from the real SDK', async () => {
    const run = await c.run();
    const taskRunId = uuid7();
    const traceHex = 'ab'.repeat(16);
    const taskSpan = 'cd'.repeat(8);
    await startTaskRun(server, run.id, taskRunId, traceHex, taskSpan);
    const lp = loggerProvider({ url: `${base}/otlp/v1/logs`, protocol: 'protobuf', gzip: true });
    const { context, trace, TraceFlags } = await import('@opentelemetry/api');
    const inTask = trace.setSpanContext(context.active(), {
      traceId: traceHex,
      spanId: taskSpan,
      traceFlags: TraceFlags.SAMPLED,
    });
    lp.getLogger('etl.extract').emit({ severityNumber: 17, body: 'boom', context: inTask });
    lp.getLogger('etl.extract').emit({ severityNumber: 9, body: 'no span' });
    await finish(lp);
    assert.deepEqual(takeWarnings(), []);
    const linked = await logsOf({ task_run_id: { any_: [taskRunId] } });
    assert.equal(linked.length, 1);
    assert.equal(linked[0].message, 'boom');
    assert.equal(linked[0].level, 40);
    assert.equal(linked[0].name, 'etl.extract');
    assert.equal(linked[0].flow_run_id, run.id);
    const loose = (await logsOf({ loggers: { any_: ['etl.extract'] } })).find((l) => l.message === 'no span');
    assert.equal(loose.flow_run_id, null);
  });

  /**
   * A span of the task (`load`, its parent the task's OTel span) and a log record inside it,
   * exported by the real SDK: the record first, the span when it ends (`endSpan`).
   */
  async function logBeforeSpan(at: string, traceHex: string, taskSpan: string, message: string) {
    const { context, trace, TraceFlags } = await import('@opentelemetry/api');
    const tp = tracerProvider({ url: `${at}/otlp/v1/traces`, protocol: 'json' });
    const inTask = trace.setSpanContext(context.active(), {
      traceId: traceHex,
      spanId: taskSpan,
      traceFlags: TraceFlags.SAMPLED,
    });
    const span = tp.getTracer('etl').startSpan('load', {}, inTask);
    // Fixed times: emitting it again is a re-send of the same record (same content, same id).
    const record = {
      severityNumber: 13,
      body: message,
      timestamp: new Date('2026-01-02T03:04:05.000Z'),
      observedTimestamp: new Date('2026-01-02T03:04:05.000Z'),
      context: trace.setSpan(context.active(), span),
    };
    const emit = async () => {
      const lp = loggerProvider({ url: `${at}/otlp/v1/logs`, protocol: 'protobuf' });
      lp.getLogger('etl.load').emit(record);
      await finish(lp);
    };
    await emit();
    return {
      emit,
      endSpan: async () => {
        span.end();
        await finish(tp);
      },
    };
  }

  const runLogs = async (runId: string) => {
    const res = await server.request('GET', server.oss(`/flow_runs/${runId}/logs`));
    assert.equal(res.statusCode, 200, res.body);
    return { etag: res.headers.etag, logs: res.json() as Json[] };
  };

  it('links a record exported before its span once the span joins the task run, wherever run logs are read', async () => {
    const run = await c.run();
    const taskRunId = uuid7();
    const [traceHex, taskSpan] = ['a1'.repeat(16), 'b2'.repeat(8)];
    await startTaskRun(server, run.id, taskRunId, traceHex, taskSpan);
    const before = await runLogs(run.id);
    const sent = await logBeforeSpan(base, traceHex, taskSpan, 'late needle');
    const waiting = (await logsOf({ loggers: { any_: ['etl.load'] } })).filter((l) => l.message === 'late needle');
    assert.deepEqual(
      waiting.map((l) => l.flow_run_id),
      [null],
    );
    await sent.endSpan();
    assert.deepEqual(takeWarnings(), []);
    const linked = await logsOf({ flow_run_id: { any_: [run.id] } });
    assert.deepEqual(
      linked.map((l) => [l.message, l.task_run_id]),
      [['late needle', taskRunId]],
    );
    const after = await runLogs(run.id);
    assert.notEqual(after.etag, before.etag);
    assert.deepEqual(
      after.logs.map((l) => l.message),
      ['late needle'],
    );
    const counts = await server.request('POST', server.oss('/sightline/flow_runs/log-counts'), {
      flow_run_ids: [run.id],
    });
    assert.equal(counts.statusCode, 200, counts.body);
    assert.deepEqual(counts.json()[run.id], { logs: 1, warnings: 1, errors: 0 });
    const loggers = await server.request('GET', server.oss(`/traces/${run.id}/observed-loggers`));
    assert.equal(loggers.statusCode, 200, loggers.body);
    assert.deepEqual(
      loggers.json().map((l: Json) => [l.logger_name, l.count]),
      [['etl.load', 1]],
    );
    const found = await logsOf({ flow_run_id: { any_: [run.id] }, text: { query: 'needle' } });
    assert.equal(found.length, 1);
    // A re-send after the link stores nothing new.
    await sent.emit();
    assert.equal(
      (await logsOf({ loggers: { any_: ['etl.load'] } })).filter((l) => l.message === 'late needle').length,
      1,
    );
    assert.equal((await runLogs(run.id)).etag, after.etag);
  });

  it('leaves a record unlinked when its span joins a run after --otlp-link-window', async () => {
    const short = await startServer(engine, { 'otlp-link-window': '1s' });
    try {
      const at = await short.listen();
      const run = await new RunClient(short).run();
      const [traceHex, taskSpan] = ['c3'.repeat(16), 'd4'.repeat(8)];
      await startTaskRun(short, run.id, uuid7(), traceHex, taskSpan);
      const sent = await logBeforeSpan(at, traceHex, taskSpan, 'too late');
      // The window is measured from the record's arrival: wait for the clock to pass it.
      const deadline = Date.now() + 1_100;
      while (Date.now() < deadline) await setTimeout(deadline - Date.now());
      await sent.endSpan();
      const res = await short.request('POST', short.oss('/logs/filter'), { logs: { loggers: { any_: ['etl.load'] } } });
      assert.deepEqual(
        res.json().map((l: Json) => [l.message, l.flow_run_id]),
        [['too late', null]],
      );
    } finally {
      await short.close();
    }
  });
});

forEachEngine('OTLP log ids under retention', (engine) => {
  it('forgets the ids of records past the log setting, so a later re-send is stored again', async () => {
    // The sweep's clock runs two hours ahead: records arriving now are past a one-hour setting.
    const server = await startServer(
      engine,
      { 'retention-logs': '1h' },
      { clock: () => (Date.now() + 7_200_000) * 1000 },
    );
    after(() => server.close());
    const base = await server.listen();
    const body = JSON.stringify(logsExport([record({ body: { stringValue: 'kept until retention' } })]));
    const send = async () => {
      const res = await fetch(`${base}/otlp/v1/logs`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 200, await res.text());
    };
    const stored = async () =>
      ((await server.request('POST', server.oss('/logs/filter'), { limit: 10 })).json() as Json[]).length;
    await send();
    await send();
    assert.equal(await stored(), 1, 'a re-send within the setting is recognised');
    assert.ok(await server.app.retention.sweepNow());
    assert.equal(await stored(), 0);
    await send();
    assert.equal(await stored(), 1, 'its id went with the record');
  });
});
