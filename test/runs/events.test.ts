/**
 * Events ↔ runs through the public surfaces: client task-run events become task runs on both
 * ingest paths (`POST /events` here; `/events/in` in the transcript replays), converging under
 * duplicates and reordering; server flow-run events go through the same ingest (dedup, tags).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { uuid7 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

// Recent times: event reads default to a window that ends now.
const BASE = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const ISO = (s: number) => new Date(BASE + s * 1000).toISOString().replace('.000Z', 'Z');

function taskEvent(o: {
  id?: string;
  taskRunId: string;
  flowRunId?: string;
  state: string;
  type: string;
  at: number;
  runCount?: number;
  key?: string;
}) {
  const related = o.flowRunId
    ? [
        {
          'prefect.resource.id': `prefect.flow-run.${o.flowRunId}`,
          'prefect.resource.role': 'flow-run',
          'prefect.resource.name': 'r',
        },
      ]
    : [];
  return {
    occurred: ISO(o.at),
    event: `prefect.task-run.${o.state}`,
    resource: {
      'prefect.resource.id': `prefect.task-run.${o.taskRunId}`,
      'prefect.resource.name': 'extract-abc',
      'prefect.state-name': o.state,
      'prefect.state-type': o.type,
      'prefect.orchestration': 'client',
    },
    related: [...related, { 'prefect.resource.id': 'prefect.tag.db', 'prefect.resource.role': 'tag' }],
    payload: {
      intended: { from: null, to: o.type },
      initial_state: null,
      validated_state: { type: o.type, name: o.state, message: '', state_details: {}, data: null },
      task_run: {
        name: 'extract-abc',
        task_key: o.key ?? 'extract-1',
        dynamic_key: 'abc',
        empirical_policy: { max_retries: 0, retry_delay_seconds: 0, retries: 0, retry_delay: 0 },
        tags: ['db'],
        labels: {},
        task_inputs: {},
        run_count: o.runCount ?? (o.type === 'PENDING' ? 0 : 1),
        flow_run_run_count: 1,
        expected_start_time: ISO(0),
        start_time: o.type === 'PENDING' ? undefined : ISO(1),
        end_time: o.type === 'COMPLETED' ? ISO(o.at) : undefined,
        total_run_time: o.type === 'COMPLETED' ? o.at - 1 : 0,
      },
    },
    id: o.id ?? uuid7(),
    follows: null,
  };
}

forEachEngine('runs from events', (engine) => {
  let s: TestServer;
  let c: RunClient;
  before(async () => {
    s = await startServer(engine);
    c = new RunClient(s);
  });
  after(() => s.close());

  const post = async (events: unknown[], path = s.oss('/events')) => {
    const r = await s.request('POST', path, events);
    assert.equal(r.statusCode, 204, r.body);
  };

  it('records task runs from POST /events: duplicates and reordering converge on the latest state', async () => {
    const run = await c.run();
    const tr = uuid7();
    const pending = taskEvent({ taskRunId: tr, flowRunId: run.id, state: 'Pending', type: 'PENDING', at: 0 });
    const running = taskEvent({ taskRunId: tr, flowRunId: run.id, state: 'Running', type: 'RUNNING', at: 1 });
    const done = taskEvent({ taskRunId: tr, flowRunId: run.id, state: 'Completed', type: 'COMPLETED', at: 3 });
    await post([running, done]);
    await post([pending, running, done]);
    const t = await c.call('GET', `/task_runs/${tr}`, undefined, 200);
    assert.equal(t.state_type, 'COMPLETED');
    assert.equal(t.state.id, done.id);
    assert.equal(t.state.timestamp, ISO(3));
    assert.equal(t.flow_run_id, run.id);
    assert.equal(t.total_run_time, 2);
    assert.deepEqual(t.tags, ['db']);
    const history = await c.call('GET', `/task_run_states/?task_run_id=${tr}`, undefined, 200);
    assert.deepEqual(
      history.map((x: any) => x.id),
      [pending.id, running.id, done.id],
    );
    const listed = await c.call('POST', '/task_runs/filter', { flow_runs: { id: { any_: [run.id] } } }, 200);
    assert.deepEqual(
      listed.map((x: any) => x.id),
      [tr],
    );
  });

  it('ignores events that are not client task-run state events, and keeps the event anyway', async () => {
    const tr = uuid7();
    const server = taskEvent({ taskRunId: tr, state: 'Running', type: 'RUNNING', at: 1 });
    (server.resource as Record<string, string>)['prefect.orchestration'] = 'server';
    const broken = taskEvent({ taskRunId: uuid7(), state: 'Running', type: 'RUNNING', at: 1 });
    (broken.payload as any).task_run = { name: 'no keys' };
    await post([server, broken]);
    await c.call('GET', `/task_runs/${tr}`, undefined, 404);
    const stored = await c.call('POST', '/events/filter', { filter: { id: { id: [server.id, broken.id] } } }, 200);
    assert.equal(stored.total, 2);
  });

  it('keeps task runs whose flow run does not exist yet, on Cloud paths too', async () => {
    const flowRunId = uuid7();
    const tr = uuid7();
    await post([taskEvent({ taskRunId: tr, flowRunId, state: 'Running', type: 'RUNNING', at: 1 })], s.cloud('/events'));
    const t = await c.call('GET', `/task_runs/${tr}`, undefined, 200);
    assert.equal(t.flow_run_id, flowRunId);
    const orphans = await c.call(
      'POST',
      '/task_runs/filter',
      { task_runs: { flow_run_id: { any_: [flowRunId] } } },
      200,
    );
    assert.deepEqual(
      orphans.map((x: any) => x.id),
      [tr],
    );
  });

  it('records task runs from /events/in frames', async () => {
    const base = (await s.listen()).replace(/^http/, 'ws');
    const run = await c.run();
    const tr = uuid7();
    const ws = new WebSocket(`${base}/events/in`, 'prefect');
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const ok = new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    ws.send(JSON.stringify({ type: 'auth', token: null }));
    assert.deepEqual(await ok, { type: 'auth_success' });
    ws.send(JSON.stringify(taskEvent({ taskRunId: tr, flowRunId: run.id, state: 'Pending', type: 'PENDING', at: 0 })));
    ws.send(JSON.stringify(taskEvent({ taskRunId: tr, flowRunId: run.id, state: 'Running', type: 'RUNNING', at: 1 })));
    await new Promise<void>((resolve) => {
      ws.once('pong', () => resolve());
      ws.ping();
    });
    assert.equal((await c.call('GET', `/task_runs/${tr}`, undefined, 200)).state_type, 'RUNNING');
    ws.close(1000);
  });

  it('stores server flow-run events through the event ingest: deduplicated, tags indexed', async () => {
    const flow = await c.flow('tagged', { tags: ['team-a'] });
    const run = await c.run(flow.id, { tags: ['nightly'] });
    const r = await c.setState(run.id, 'RUNNING');
    // The client re-sending the server's event id is a no-op.
    await post([
      {
        occurred: r.state.timestamp,
        event: 'prefect.flow-run.Running',
        resource: { 'prefect.resource.id': `prefect.flow-run.${run.id}` },
        id: r.state.id,
      },
    ]);
    const page = await c.call(
      'POST',
      '/events/filter',
      { filter: { resource: { id: [`prefect.flow-run.${run.id}`] }, order: 'ASC' } },
      200,
    );
    assert.deepEqual(
      page.events.map((e: any) => e.event),
      ['prefect.flow-run.Pending', 'prefect.flow-run.Running'],
    );
    assert.deepEqual(
      page.events.map((e: any) => e.id),
      [run.state.id, r.state.id],
    );
    assert.equal(page.events[1].resource['prefect.state-type'], 'RUNNING');
    const tags = await s.request('GET', s.cloud('/tags?limit=50'));
    const names = tags.json().results.map((t: any) => t.name);
    assert.ok(names.includes('nightly') && names.includes('team-a'), JSON.stringify(names));
  });
});
