/** Orchestration through the native API: every rule, forced transitions, subflow linkage, events. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { CapturingSink, RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const TID = '5ddd7d1b-3177-49f6-ad76-8f5f146c05a3';

forEachEngine('run orchestration', (engine) => {
  let s: TestServer;
  let c: RunClient;
  const sink = new CapturingSink();
  before(async () => {
    s = await startServer(engine, {}, { eventSink: sink });
    c = new RunClient(s);
  });
  after(() => s.close());

  it('accepts a normal run and emits one event per transition, the initial state included', async () => {
    const flow = await c.flow('events-flow', { tags: ['ft'] });
    const run = await c.run(flow.id, { tags: ['rt'] });
    const running = await c.setState(run.id, 'RUNNING', { state_details: { transition_id: TID } });
    assert.equal(running.http, 201);
    assert.equal(running.status, 'ACCEPT');
    assert.deepEqual(running.details, { type: 'accept_details' });
    assert.equal(running.state.name, 'Running');
    assert.equal(running.state.state_details.transition_id, TID);
    assert.equal(running.state.state_details.flow_run_id, run.id);
    const done = await c.setState(run.id, 'COMPLETED');
    assert.equal(done.http, 201);
    const events = sink.events.filter((e) => e.resource['prefect.resource.id'] === `prefect.flow-run.${run.id}`);
    assert.deepEqual(
      events.map((e) => e.event),
      ['prefect.flow-run.Pending', 'prefect.flow-run.Running', 'prefect.flow-run.Completed'],
    );
    assert.deepEqual(
      events.map((e) => e.id),
      [run.state.id, running.state.id, done.state.id],
    );
    assert.equal(events[0].workspaceId, s.workspaceId);
    assert.equal(events[1].follows, run.state.id);
    assert.equal(events[2].resource['prefect.run-count'], '1');
    assert.deepEqual(events[2].payload.intended, { from: 'RUNNING', to: 'COMPLETED' });
    assert.deepEqual(
      events[2].related.map((r) => r['prefect.resource.id']),
      [`prefect.flow.${flow.id}`, 'prefect.tag.ft', 'prefect.tag.rt'],
    );
    const read = await c.getRun(run.id);
    assert.equal(read.state_type, 'COMPLETED');
    assert.equal(read.run_count, 1);
    assert.ok(read.total_run_time > 0);
    assert.equal(read.estimated_run_time, read.total_run_time);
    assert.equal(read.end_time, done.state.timestamp);
    assert.equal(read.start_time, running.state.timestamp);
  });

  it('rejects a repeated transition id with 200 and the current state', async () => {
    const run = await c.run();
    await c.setState(run.id, 'RUNNING', { state_details: { transition_id: TID } });
    const again = await c.setState(run.id, 'RUNNING', { state_details: { transition_id: TID } });
    assert.equal(again.http, 200);
    assert.equal(again.status, 'REJECT');
    assert.deepEqual(again.details, {
      type: 'reject_details',
      reason: 'This run has already made this state transition.',
    });
    assert.equal(again.state.type, 'RUNNING');
    const states = await c.call('GET', `/flow_run_states/?flow_run_id=${run.id}`, undefined, 200);
    assert.deepEqual(
      states.map((x: any) => x.type),
      ['PENDING', 'RUNNING'],
    );
  });

  it('writes one state when the same transition is proposed concurrently', async () => {
    const run = await c.run();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => c.setState(run.id, 'RUNNING', { state_details: { transition_id: TID } })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), ['ACCEPT', 'REJECT', 'REJECT', 'REJECT', 'REJECT']);
    assert.deepEqual(results.map((r) => r.http).sort(), [200, 200, 200, 200, 201]);
    const states = await c.call('GET', `/flow_run_states/?flow_run_id=${run.id}`, undefined, 200);
    assert.deepEqual(
      states.map((x: any) => x.type),
      ['PENDING', 'RUNNING'],
    );
    assert.equal((await c.getRun(run.id)).run_count, 1);
  });

  it('turns a failure with retries left into AwaitingRetry, then waits, then retries', async () => {
    const run = await c.run(undefined, { empirical_policy: { retries: 1, retry_delay: 2 } });
    await c.setState(run.id, 'RUNNING');
    const fail = await c.setState(run.id, 'FAILED', { message: 'boom', data: { storage_key: 'k' } });
    assert.equal(fail.http, 201);
    assert.equal(fail.status, 'REJECT');
    assert.deepEqual(fail.details, { type: 'reject_details', reason: 'Retrying' });
    assert.equal(fail.state.type, 'SCHEDULED');
    assert.equal(fail.state.name, 'AwaitingRetry');
    assert.equal(fail.state.message, 'boom');
    assert.deepEqual(fail.state.data, { storage_key: 'k' });
    let read = await c.getRun(run.id);
    assert.equal(read.empirical_policy.retry_type, 'in_process');
    assert.equal(read.next_scheduled_start_time, fail.state.state_details.scheduled_time);
    const early = await c.setState(run.id, 'RUNNING');
    assert.equal(early.http, 200);
    assert.equal(early.status, 'WAIT');
    assert.equal(early.details.type, 'wait_details');
    assert.ok(early.details.delay_seconds >= 1 && early.details.delay_seconds <= 2);
    assert.equal(early.state.name, 'AwaitingRetry');
    // A forced Retrying skips the wait; the second failure is final (retries exhausted).
    const retrying = await c.setState(run.id, 'RUNNING', { name: 'Retrying' }, true);
    assert.equal(retrying.status, 'ACCEPT');
    const final = await c.setState(run.id, 'FAILED', { message: 'again' });
    assert.equal(final.status, 'ACCEPT');
    assert.equal(final.state.type, 'FAILED');
    read = await c.getRun(run.id);
    assert.equal(read.run_count, 2);
    assert.equal(read.empirical_policy.retry_type, null);
    assert.ok(
      sink.events.some(
        (e) => e.event === 'prefect.flow-run.AwaitingRetry' && e.resource['prefect.resource.id'].endsWith(run.id),
      ),
    );
    const retryEvent = sink.events.find(
      (e) => e.event === 'prefect.flow-run.AwaitingRetry' && e.resource['prefect.resource.id'].endsWith(run.id),
    );
    assert.deepEqual(retryEvent?.payload.intended, { from: 'RUNNING', to: 'FAILED' });
  });

  it('aborts PENDING proposals of a running run but takes named PENDING sub-states', async () => {
    const run = await c.run();
    const sub = await c.setState(run.id, 'PENDING', { name: 'Submitting' });
    assert.equal(sub.status, 'ACCEPT');
    const same = await c.setState(run.id, 'PENDING', { name: 'Submitting' });
    assert.equal(same.status, 'ABORT');
    await c.setState(run.id, 'RUNNING');
    const p = await c.setState(run.id, 'PENDING');
    assert.equal(p.http, 200);
    assert.equal(p.status, 'ABORT');
    assert.deepEqual(p.details, {
      type: 'abort_details',
      reason: 'This run is in a RUNNING state and cannot transition to a PENDING state.',
    });
    assert.equal(p.state.type, 'RUNNING');
  });

  it('waits for a scheduled run until its time', async () => {
    const at = new Date(Date.now() + 60_000).toISOString();
    const run = await c.run(undefined, { state: { type: 'SCHEDULED', state_details: { scheduled_time: at } } });
    assert.equal(run.state_type, 'SCHEDULED');
    assert.equal(Date.parse(run.next_scheduled_start_time), Date.parse(at));
    assert.equal(run.state.state_details.scheduled_time, run.next_scheduled_start_time);
    assert.equal(run.expected_start_time, run.next_scheduled_start_time);
    const w = await c.setState(run.id, 'RUNNING');
    assert.equal(w.status, 'WAIT');
    assert.ok(w.details.delay_seconds >= 59 && w.details.delay_seconds <= 60, String(w.details.delay_seconds));
    assert.equal(w.details.reason, 'Scheduled time is in the future');
  });

  it('aborts the proposals of cancelling and cancelled runs', async () => {
    const run = await c.run();
    await c.setState(run.id, 'RUNNING');
    assert.equal((await c.setState(run.id, 'CANCELLING')).status, 'ACCEPT');
    const r = await c.setState(run.id, 'COMPLETED');
    assert.equal(r.status, 'ABORT');
    assert.equal(r.state.type, 'CANCELLING');
    assert.equal((await c.setState(run.id, 'CANCELLED')).status, 'ACCEPT');
    assert.equal((await c.setState(run.id, 'RUNNING')).status, 'ABORT');
    const read = await c.getRun(run.id);
    assert.equal(read.state_type, 'CANCELLED');
    assert.ok(read.end_time);
  });

  it('keeps terminal states unless forced; forcing keeps bookkeeping and events', async () => {
    const run = await c.run();
    await c.setState(run.id, 'RUNNING');
    await c.setState(run.id, 'COMPLETED');
    const again = await c.setState(run.id, 'RUNNING');
    assert.equal(again.status, 'REJECT');
    assert.equal(again.http, 200);
    assert.equal(again.state.type, 'COMPLETED');
    assert.equal((await c.setState(run.id, 'CRASHED')).status, 'ABORT');
    const before = sink.events.length;
    const forced = await c.setState(run.id, 'RUNNING', { name: 'Rerun' }, true);
    assert.equal(forced.status, 'ACCEPT');
    assert.equal(forced.http, 201);
    const read = await c.getRun(run.id);
    assert.equal(read.state_name, 'Rerun');
    assert.equal(read.end_time, null);
    assert.equal(read.run_count, 2);
    assert.equal(sink.events.length, before + 1);
    assert.equal(sink.events.at(-1)?.event, 'prefect.flow-run.Rerun');
  });

  it('keeps a subflow and its tracking task run in step', async () => {
    const parentFlow = await c.flow('parent-flow');
    const parent = await c.run(parentFlow.id);
    await c.setState(parent.id, 'RUNNING');
    const tracking = await c.call(
      'POST',
      '/task_runs/',
      {
        name: 'child-0',
        flow_run_id: parent.id,
        task_key: 'child-2277810c',
        dynamic_key: '0',
        state: { type: 'PENDING', state_details: { flow_run_id: null } },
      },
      201,
    );
    assert.deepEqual(tracking.labels, { 'prefect.flow.id': parentFlow.id, 'prefect.flow-run.id': parent.id });
    assert.equal(tracking.state.state_details.task_run_id, tracking.id);
    assert.equal(tracking.state.state_details.flow_run_id, parent.id);
    const found = await c.call(
      'POST',
      '/flow_runs/filter',
      { flow_runs: { parent_task_run_id: { any_: [tracking.id] } }, sort: 'EXPECTED_START_TIME_DESC', limit: 1 },
      200,
    );
    assert.deepEqual(found, []);
    const sub = await c.run(undefined, { parent_task_run_id: tracking.id });
    assert.equal(sub.state.state_details.task_run_id, tracking.id);
    const running = await c.setState(sub.id, 'RUNNING');
    assert.equal(running.state.state_details.task_run_id, tracking.id);
    const failed = await c.setState(sub.id, 'FAILED', {
      message: 'sub failed',
      data: { storage_key: 's' },
      state_details: { retriable: false },
    });
    const t = await c.call('GET', `/task_runs/${tracking.id}`, undefined, 200);
    assert.equal(t.state_type, 'FAILED');
    assert.equal(t.state_name, 'Failed');
    assert.equal(t.state.message, 'sub failed');
    assert.deepEqual(t.state.data, { storage_key: 's' });
    assert.equal(t.state.state_details.child_flow_run_id, sub.id);
    assert.equal(t.state.state_details.flow_run_id, parent.id);
    assert.equal(t.state.state_details.retriable, false);
    assert.notEqual(t.state.id, failed.state.id);
    assert.equal(t.run_count, 1);
    assert.equal(t.flow_run_run_count, 0);
    assert.ok(t.start_time && t.end_time);
    const history = await c.call('GET', `/task_run_states/?task_run_id=${tracking.id}`, undefined, 200);
    assert.deepEqual(
      history.map((x: any) => x.type),
      ['PENDING', 'PENDING', 'RUNNING', 'FAILED'],
    );
    const subEvent = sink.events.find((e) => e.id === failed.state.id);
    assert.deepEqual(
      subEvent?.related.find((r) => r['prefect.resource.role'] === 'task-run'),
      {
        'prefect.resource.id': `prefect.task-run.${tracking.id}`,
        'prefect.resource.role': 'task-run',
        'prefect.resource.name': 'child-0',
      },
    );
    // The server emits nothing for task runs.
    assert.equal(sink.named('prefect.task-run.').length, 0);
    const kids = await c.call(
      'POST',
      '/flow_runs/filter',
      { flow_runs: { parent_flow_run_id: { any_: [parent.id] } } },
      200,
    );
    assert.deepEqual(
      kids.map((r: any) => r.id),
      [sub.id],
    );
    const parents = await c.call('POST', '/task_runs/filter', { task_runs: { subflow_runs: { exists_: true } } }, 200);
    assert.deepEqual(
      parents.map((r: any) => r.id),
      [tracking.id],
    );
  });

  it('orchestrates task runs with the same contract and no events', async () => {
    const run = await c.run();
    const task = await c.call(
      'POST',
      '/task_runs/',
      { flow_run_id: run.id, task_key: 't', dynamic_key: '1', empirical_policy: { retries: 1, retry_delay: [0] } },
      201,
    );
    const before = sink.events.length;
    const blocked = await c.setState(task.id, 'RUNNING', {}, false, 'task_runs');
    assert.equal(blocked.status, 'ABORT');
    assert.equal(blocked.details.reason, 'The enclosing flow must be running to begin task execution.');
    await c.setState(run.id, 'RUNNING');
    const running = await c.setState(task.id, 'RUNNING', {}, false, 'task_runs');
    assert.equal(running.status, 'ACCEPT');
    assert.equal(running.http, 201);
    assert.equal(running.state.state_details.task_run_id, task.id);
    const retry = await c.setState(task.id, 'FAILED', {}, false, 'task_runs');
    assert.equal(retry.status, 'REJECT');
    assert.equal(retry.state.name, 'AwaitingRetry');
    const retrying = await c.setState(task.id, 'RUNNING', {}, false, 'task_runs');
    assert.equal(retrying.state.name, 'Retrying');
    const done = await c.setState(task.id, 'COMPLETED', { state_details: { transition_id: TID } }, false, 'task_runs');
    assert.equal(done.status, 'ACCEPT');
    const dup = await c.setState(task.id, 'COMPLETED', { state_details: { transition_id: TID } }, false, 'task_runs');
    assert.equal(dup.status, 'REJECT');
    const t = await c.call('GET', `/task_runs/${task.id}`, undefined, 200);
    assert.equal(t.run_count, 2);
    assert.equal(t.flow_run_run_count, 1);
    assert.equal(t.state_type, 'COMPLETED');
    assert.equal(sink.events.length, before + 1, 'only the flow run RUNNING event');
  });

  it('answers 404 for unknown runs and 422 for bad proposals', async () => {
    const missing = '01a20588-0000-7000-8000-000000000000';
    const r = await s.request('POST', s.oss(`/flow_runs/${missing}/set_state`), { state: { type: 'RUNNING' } });
    assert.equal(r.statusCode, 404);
    assert.deepEqual(r.json(), { detail: `Flow run with id ${missing} not found` });
    assert.equal(
      (await s.request('POST', s.oss(`/task_runs/${missing}/set_state`), { state: { type: 'RUNNING' } })).statusCode,
      404,
    );
    const run = await c.run();
    for (const body of [
      {},
      { state: { type: 'DONE' } },
      { state: { type: 'RUNNING', id: missing } },
      { state: { type: 'RUNNING', timestamp: 'x' } },
      { state: { type: 'RUNNING' }, force: 'maybe' },
    ]) {
      const bad = await s.request('POST', s.oss(`/flow_runs/${run.id}/set_state`), body);
      assert.equal(bad.statusCode, 422, JSON.stringify(body));
      assert.equal(bad.json().exception_message, 'Invalid request received.');
    }
    const cloud = await s.request('POST', s.cloud(`/flow_runs/${run.id}/set_state`), { state: { type: 'DONE' } });
    assert.equal(cloud.statusCode, 422);
    assert.deepEqual(cloud.json().detail[0].loc, ['body', 'state', 'type']);
    assert.equal(
      (await s.request('POST', s.oss('/flow_runs/not-a-uuid/set_state'), { state: { type: 'RUNNING' } })).statusCode,
      404,
    );
  });
});
