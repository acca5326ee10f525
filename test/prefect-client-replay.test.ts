/**
 * The recorded Prefect 3.8.3 client runs, replayed against Sightline on a real loopback port:
 * every request and websocket frame in order, every response compared with Prefect's own server's
 * by shape. Then what the runs left behind is checked: state histories and events.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from './helpers/engines.ts';
import { loadTranscript, replay } from './helpers/replay.ts';
import { startServer, type TestServer } from './helpers/server.ts';

async function json(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(r.ok, `${method} ${path} → ${r.status}`);
  return r.json();
}

/** The server-emitted state events of one flow run, oldest first. */
async function runEvents(base: string, flowRunId: string): Promise<any[]> {
  const page = await json(base, 'POST', '/api/events/filter', {
    filter: {
      event: { prefix: ['prefect.flow-run.'], exclude_name: ['prefect.flow-run.heartbeat'] },
      resource: { id: [`prefect.flow-run.${flowRunId}`] },
      order: 'ASC',
    },
    limit: 50,
  });
  return page.events;
}

forEachEngine('Prefect client replay: flow-with-retry', (engine) => {
  let s: TestServer;
  let base: string;
  before(async () => {
    s = await startServer(engine);
    base = (await s.listen()).replace(/\/api$/, '');
  });
  after(() => s.close());

  it('replays every call and frame with matching responses', async () => {
    const t = loadTranscript('flow-with-retry');
    const r = await replay(t, base);
    assert.equal(r.http, 19);
    assert.equal(r.frames, 12);
    const runId = r.ids.map.get('f1c53ca0-0009-4c33-9be3-60a15a163eae')!;
    const flowStates = await json(base, 'GET', `/api/flow_run_states/?flow_run_id=${runId}`);
    assert.deepEqual(
      flowStates.map((x: any) => x.name),
      ['Pending', 'Running', 'Completed'],
    );
    const flaky = await json(base, 'GET', '/api/task_run_states/?task_run_id=01a20588-ff47-7c7d-824f-60d250e8e9c8');
    assert.deepEqual(
      flaky.map((x: any) => x.name),
      ['Pending', 'Running', 'AwaitingRetry', 'Retrying', 'Completed'],
    );
    assert.deepEqual(
      (await runEvents(base, runId)).map((e: any) => e.event),
      ['prefect.flow-run.Pending', 'prefect.flow-run.Running', 'prefect.flow-run.Completed'],
    );
    assert.deepEqual(
      flaky.map((x: any) => x.id),
      [
        '01a20588-ff47-74c0-8abf-03f31cbe747e',
        '01a20588-ff47-74c2-babd-21821c53ce0e',
        '01a20588-ff49-720d-8cf5-c864618fe80b',
        '01a20589-013d-7efb-9745-bc4000cfd551',
        '01a20589-0142-779f-beb4-60878282069b',
      ],
    );
  });
});

forEachEngine('Prefect client replay: subflow-failure', (engine) => {
  let s: TestServer;
  let base: string;
  before(async () => {
    s = await startServer(engine);
    base = (await s.listen()).replace(/\/api$/, '');
  });
  after(() => s.close());

  it('replays every call and frame with matching responses', async () => {
    const t = loadTranscript('subflow-failure');
    const r = await replay(t, base);
    assert.equal(r.http, 31);
    assert.equal(r.frames, 8);
    const parent = r.ids.map.get('9af7c61c-5ea4-40f4-8ad4-904c065f2baf')!;
    const sub = r.ids.map.get('9a71e9f9-f453-4ea9-ac6c-29ffcc94dea8')!;
    const tracking = r.ids.map.get('4d840b14-c5b9-4fa8-aa09-af27f6ec03e1')!;
    assert.deepEqual(
      (await json(base, 'GET', `/api/flow_run_states/?flow_run_id=${sub}`)).map((x: any) => [
        x.name,
        x.state_details.task_run_id,
      ]),
      [
        ['Pending', tracking],
        ['Running', tracking],
        ['Failed', tracking],
      ],
    );
    assert.deepEqual(
      (await json(base, 'GET', `/api/task_run_states/?task_run_id=${tracking}`)).map((x: any) => x.name),
      ['Pending', 'Pending', 'Running', 'Failed'],
    );
    const children = await json(base, 'POST', '/api/flow_runs/filter', {
      flow_runs: { parent_flow_run_id: { any_: [parent] } },
    });
    assert.deepEqual(
      children.map((x: any) => x.id),
      [sub],
    );
    // The server's own flow-run events are stored next to the client's task-run events.
    const subEvents = await runEvents(base, sub);
    assert.deepEqual(
      subEvents.map((e: any) => e.event),
      ['prefect.flow-run.Pending', 'prefect.flow-run.Running', 'prefect.flow-run.Failed'],
    );
    const failed = subEvents[2];
    assert.deepEqual(
      failed.related.map((x: any) => [x['prefect.resource.role'], x['prefect.resource.id']]),
      [
        ['flow', `prefect.flow.${r.ids.map.get('b7569ec4-85bf-49b7-ade9-9de60f9bf31e')}`],
        ['task-run', `prefect.task-run.${tracking}`],
      ],
    );
    assert.equal(
      failed.resource['prefect.state-message'],
      'Flow run encountered an exception: ValueError: row 2 has a negative amount',
    );
    assert.deepEqual(failed.payload.intended, { from: 'RUNNING', to: 'FAILED' });
    assert.equal(failed.follows, subEvents[1].id);
    const taskEvents = await json(base, 'POST', '/api/events/filter', {
      filter: { event: { prefix: ['prefect.task-run.'] } },
      limit: 50,
    });
    assert.equal(taskEvents.total, 6);
  });
});
