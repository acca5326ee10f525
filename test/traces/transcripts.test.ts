/**
 * The recorded Prefect 3.8.3 client runs, replayed against Sightline on a real loopback port (every
 * HTTP call and every `/events/in` websocket frame, in recorded order), then read back as traces.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { type Engine, forEachEngine } from '../helpers/engines.ts';
import { type IdMap, loadTranscript, replay } from '../helpers/replay.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

/** Replays a transcript on a fresh server (its read-backs list every run of the workspace). */
async function replayed(engine: Engine, name: string): Promise<{ s: TestServer; ids: IdMap }> {
  const s = await startServer(engine);
  servers.push(s);
  const base = (await s.listen()).replace(/\/api$/, '');
  return { s, ids: (await replay(loadTranscript(name), base)).ids };
}

const servers: TestServer[] = [];

async function get(s: TestServer, url: string): Promise<Json> {
  const r = await s.request('GET', url);
  assert.equal(r.statusCode, 200, `${url} → ${r.statusCode} ${r.body}`);
  return r.json();
}

forEachEngine('traces of the recorded client runs', (engine) => {
  after(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('subflow-failure: depths 0–3 and FAILED states up the path', async () => {
    const { s, ids } = await replayed(engine, 'subflow-failure');
    const root = ids.map.get('9af7c61c-5ea4-40f4-8ad4-904c065f2baf')!;
    const sub = ids.map.get('9a71e9f9-f453-4ea9-ac6c-29ffcc94dea8')!;
    const tracking = ids.map.get('4d840b14-c5b9-4fa8-aa09-af27f6ec03e1')!;
    const extract = '01a20589-e53b-7952-aa64-babd0ce90442';
    const validate = '01a20589-e542-734a-8bf0-67b2a5854865';
    assert.ok(root && sub && tracking);

    const page = await get(s, s.oss(`/traces/${root}`));
    const byId = new Map<string, Json>(page.spans.map((x: Json) => [x.span_id, x]));
    assert.equal(page.spans.length, 5);
    const rootRun = await get(s, s.oss(`/flow_runs/${root}`));
    const subRun = await get(s, s.oss(`/flow_runs/${sub}`));
    assert.deepEqual(
      [root, tracking, sub, extract, validate].map((id) => {
        const x = byId.get(id);
        return [x.name, x.span_type, x.path.length, x.state_type];
      }),
      [
        [rootRun.name, 'flow-run', 0, 'FAILED'],
        ['etl-subflow-0', 'task-run', 1, 'FAILED'],
        [subRun.name, 'flow-run', 2, 'FAILED'],
        ['extract_rows-dd8', 'task-run', 3, 'COMPLETED'],
        ['validate_rows-80e', 'task-run', 3, 'FAILED'],
      ],
    );
    assert.deepEqual(byId.get(validate).path, [root, tracking, sub]);
    assert.deepEqual(byId.get(root).child_state_counts, { 'task-run': { Failed: 1 } });
    assert.deepEqual(byId.get(tracking).child_state_counts, { 'flow-run': { Failed: 1 } });
    assert.deepEqual(byId.get(sub).child_state_counts, { 'task-run': { Completed: 1, Failed: 1 } });
    assert.equal(byId.get(sub).attributes['prefect.run.parameter.n'], 'int');
    assert.equal(byId.get(sub).attributes['prefect.flow.id'], subRun.flow_id);

    // The failed task in context: every ancestor FAILED.
    const ctx = await get(s, s.cloud(`/traces/${root}/context/${validate}`));
    assert.deepEqual(
      ctx.spans.map((x: Json) => [x.span_id, x.state_type]),
      [
        [root, 'FAILED'],
        [tracking, 'FAILED'],
        [sub, 'FAILED'],
        [extract, 'COMPLETED'],
        [validate, 'FAILED'],
      ],
    );
    assert.deepEqual(
      await get(s, s.oss(`/traces/${root}?depth=3&state_types=FAILED`)).then((p) =>
        p.spans.map((x: Json) => x.span_id),
      ),
      [validate],
    );
    assert.deepEqual(await get(s, s.oss(`/spans/lookup/${validate}`)), { trace_id: root, span_id: validate });
    assert.deepEqual(await get(s, s.oss(`/spans/lookup/${sub}`)), { trace_id: root, span_id: sub });
    const states = await get(s, s.oss(`/traces/${root}/observed-states?order_by=NAME_ASC`));
    assert.deepEqual(
      states.map((x: Json) => x.state_name),
      ['Completed', 'Failed'],
    );
    const text = await get(s, s.oss(`/traces/${root}?query=${encodeURIComponent('validate_rows')}`));
    assert.deepEqual(
      text.spans.map((x: Json) => x.span_id),
      [validate],
    );
    // The trace's loggers are those of every flow run in it: the subflow's logs count too.
    const loggers = await get(s, s.oss(`/traces/${root}/observed-loggers?order_by=NAME_ASC`));
    assert.deepEqual(
      loggers.map((l: Json) => [l.logger_name, l.count]),
      [
        ['etl.extract', 4],
        ['prefect.flow_runs', 8],
        ['prefect.task_runs', 5],
      ],
    );
    const subLoggers = await get(s, s.cloud(`/traces/${sub}/observed-loggers?order_by=NAME_ASC`));
    assert.deepEqual(
      subLoggers.map((l: Json) => [l.logger_name, l.count]),
      [
        ['etl.extract', 3],
        ['prefect.flow_runs', 4],
        ['prefect.task_runs', 5],
      ],
    );
  });

  it('flow-with-retry: one flow run and its three tasks, the retried one run twice', async () => {
    const { s, ids } = await replayed(engine, 'flow-with-retry');
    const root = ids.map.get('f1c53ca0-0009-4c33-9be3-60a15a163eae')!;
    const flaky = '01a20588-ff47-7c7d-824f-60d250e8e9c8';
    const page = await get(s, s.oss(`/traces/${root}`));
    // The flow run's times are this server's clock, the tasks' the recorded client's: compare by kind.
    const rootSpan = page.spans.find((x: Json) => x.span_id === root);
    const tasks = page.spans.filter((x: Json) => x.span_id !== root);
    assert.deepEqual([rootSpan.span_type, rootSpan.path, rootSpan.state_name], ['flow-run', [], 'Completed']);
    assert.deepEqual(
      tasks.map((x: Json) => [x.name.replace(/-[0-9a-f]{3}$/, ''), x.span_type, x.path, x.state_name]),
      [
        ['extract', 'task-run', [root], 'Completed'],
        ['flaky_transform', 'task-run', [root], 'Completed'],
        ['load', 'task-run', [root], 'Completed'],
      ],
    );
    assert.deepEqual(rootSpan.child_state_counts, { 'task-run': { Completed: 3 } });
    assert.equal(rootSpan.attributes['prefect.run.parameter.n'], 'int');
    const f = await get(s, s.oss(`/traces/${root}/spans/${flaky}`));
    assert.equal(f.attributes['prefect.run.run_count'], 2);
    assert.ok(Number(f.running_time) > 0);
    const states = await get(s, s.oss(`/traces/${root}/observed-states?order_by=NAME_ASC`));
    assert.deepEqual(
      states.map((x: Json) => `${x.state_type}/${x.state_name}`),
      ['COMPLETED/Completed'],
    );
    // The workspace keeps every state its runs went through, the retry included.
    const all = await get(s, s.oss('/observed-states?order_by=NAME_ASC'));
    assert.deepEqual(
      all.map((x: Json) => `${x.state_type}/${x.state_name}`),
      ['SCHEDULED/AwaitingRetry', 'COMPLETED/Completed', 'PENDING/Pending', 'RUNNING/Retrying', 'RUNNING/Running'],
    );
  });
});
