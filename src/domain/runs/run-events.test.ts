import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseIsoMicros } from '../time.ts';
import { flowRunStateEvent, STATE_MESSAGE_MAX } from './run-events.ts';
import { makeState, type StateRow } from './states.ts';
import { type TaskRunEventLike, taskRunRecordFromEvent } from './task-run-recorder.ts';

const T = 1_714_564_800_000_000;
const S = 1_000_000;

function st(
  type: Parameters<typeof makeState>[0],
  at: number,
  over: Parameters<typeof makeState>[1] = {},
  id = `01a20588-0000-7000-8000-${String(at).slice(-12)}`,
): StateRow {
  return { ...makeState(type, over), id, timestamp: at };
}

describe('flow-run state events', () => {
  const run = { id: 'f1c53ca0-0009-4c33-9be3-60a15a163eae', name: 'economic-dormouse', run_count: 1, tags: ['b', 'a'] };
  const flow = { id: '504977f5-af5a-4d9d-8b89-d91986d037f1', name: 'compat-flow', tags: ['a', 'c'] };

  it('builds prefect.flow-run.<State> with resource labels, related resources and payload', () => {
    const prev = st('PENDING', T);
    const next = st('RUNNING', T + 123_456);
    const e = flowRunStateEvent({
      run,
      flow,
      parentTaskRun: undefined,
      previous: prev,
      intendedType: 'RUNNING',
      state: next,
    });
    assert.equal(e.id, next.id);
    assert.equal(e.occurred, next.timestamp);
    assert.equal(e.event, 'prefect.flow-run.Running');
    assert.equal(e.follows, prev.id);
    assert.deepEqual(e.resource, {
      'prefect.resource.id': `prefect.flow-run.${run.id}`,
      'prefect.resource.name': 'economic-dormouse',
      'prefect.run-count': '1',
      'prefect.state-message': '',
      'prefect.state-name': 'Running',
      'prefect.state-timestamp': '2024-05-01T12:00:00.123456+00:00',
      'prefect.state-type': 'RUNNING',
    });
    assert.deepEqual(e.related, [
      {
        'prefect.resource.id': `prefect.flow.${flow.id}`,
        'prefect.resource.role': 'flow',
        'prefect.resource.name': 'compat-flow',
      },
      { 'prefect.resource.id': 'prefect.tag.a', 'prefect.resource.role': 'tag' },
      { 'prefect.resource.id': 'prefect.tag.b', 'prefect.resource.role': 'tag' },
      { 'prefect.resource.id': 'prefect.tag.c', 'prefect.resource.role': 'tag' },
    ]);
    assert.deepEqual(e.payload, {
      intended: { from: 'PENDING', to: 'RUNNING' },
      initial_state: { type: 'PENDING', name: 'Pending' },
      validated_state: { type: 'RUNNING', name: 'Running' },
    });
  });

  it('names the initial state event, the subflow parent task run, and a substituted state', () => {
    const first = flowRunStateEvent({
      run,
      flow: undefined,
      parentTaskRun: undefined,
      previous: null,
      intendedType: 'PENDING',
      state: st('PENDING', T),
    });
    assert.deepEqual(first.payload.intended, { from: null, to: 'PENDING' });
    assert.equal(first.payload.initial_state, null);
    assert.equal(first.follows, null);
    const parent = { id: '4d840b14-c5b9-4fa8-aa09-af27f6ec03e1', name: 'etl-subflow-0', tags: ['p'] };
    const retry = st('SCHEDULED', T + 10 * 60 * S, {
      name: 'AwaitingRetry',
      message: 'x'.repeat(STATE_MESSAGE_MAX + 5),
    });
    const e = flowRunStateEvent({
      run: { ...run, tags: [] },
      flow: undefined,
      parentTaskRun: parent,
      previous: st('RUNNING', T),
      intendedType: 'FAILED',
      state: retry,
    });
    assert.equal(e.event, 'prefect.flow-run.AwaitingRetry');
    assert.equal(e.follows, null, 'previous state is more than 5 minutes old');
    assert.deepEqual(e.payload.intended, { from: 'RUNNING', to: 'FAILED' });
    assert.equal((e.payload.validated_state as { message: string }).message.length, STATE_MESSAGE_MAX);
    assert.equal(e.resource['prefect.state-message'].length, STATE_MESSAGE_MAX);
    assert.deepEqual(e.related, [
      {
        'prefect.resource.id': `prefect.task-run.${parent.id}`,
        'prefect.resource.role': 'task-run',
        'prefect.resource.name': 'etl-subflow-0',
      },
      { 'prefect.resource.id': 'prefect.tag.p', 'prefect.resource.role': 'tag' },
    ]);
    const paused = flowRunStateEvent({
      run,
      flow: undefined,
      parentTaskRun: undefined,
      previous: null,
      intendedType: 'PAUSED',
      state: st('PAUSED', T),
    });
    assert.deepEqual(paused.payload.validated_state, { type: 'PAUSED', name: 'Paused', pause_reschedule: 'false' });
  });
});

describe('task-run recorder (pure)', () => {
  const transcript = JSON.parse(
    readFileSync(
      new URL('../../../test/fixtures/prefect-client-transcripts/flow-with-retry.json', import.meta.url),
      'utf8',
    ),
  );
  const frames = (transcript.websockets[0].frames as { json?: boolean; data: Record<string, unknown> }[])
    .filter((f) => f.json && typeof f.data.event === 'string')
    .map((f) => f.data as Omit<TaskRunEventLike, 'occurred'> & { occurred: string });
  const asEvent = (f: (typeof frames)[number]) => ({ ...f, occurred: parseIsoMicros(f.occurred)! });

  it('turns a recorded prefect.task-run.* frame into the task run and its state', () => {
    const completed = frames.find((f) => f.event === 'prefect.task-run.Completed')!;
    const r = taskRunRecordFromEvent(asEvent(completed));
    assert.ok(r);
    assert.equal(r.taskRunId, '01a20588-ff41-7243-87d9-40f5f5415348');
    assert.equal(r.flowRunId, 'f1c53ca0-0009-4c33-9be3-60a15a163eae');
    assert.equal(r.state.id, completed.id);
    assert.equal(r.state.timestamp, parseIsoMicros('2026-11-22T23:13:14.053849Z'));
    assert.equal(r.state.type, 'COMPLETED');
    assert.equal(r.state.message, '');
    assert.equal(r.state.state_details.untrackable_result, true);
    assert.equal(r.state.state_details.deferred, false);
    assert.equal(r.state.state_details.task_run_id, r.taskRunId);
    assert.equal(r.taskRun.name, 'extract-79c');
    assert.equal(r.taskRun.task_key, 'extract-3de472e5');
    assert.deepEqual(r.taskRun.empirical_policy, {
      max_retries: 0,
      retry_delay_seconds: 0,
      retries: 0,
      retry_delay: 0,
      retry_jitter_factor: null,
    });
    assert.deepEqual(r.taskRun.task_inputs, { n: [] });
    assert.equal(r.taskRun.total_run_time, 2939);
    assert.equal(r.taskRun.end_time, parseIsoMicros('2026-11-22T23:13:14.053849Z'));
  });

  it('ignores heartbeats, server-orchestrated and malformed task-run events', () => {
    const heartbeat = frames.find((f) => f.event === 'prefect.flow-run.heartbeat')!;
    assert.equal(taskRunRecordFromEvent(asEvent(heartbeat)), undefined);
    const pending = asEvent(frames.find((f) => f.event === 'prefect.task-run.Pending')!);
    assert.ok(taskRunRecordFromEvent(pending));
    assert.equal(
      taskRunRecordFromEvent({ ...pending, resource: { ...pending.resource, 'prefect.orchestration': 'server' } }),
      undefined,
    );
    assert.equal(
      taskRunRecordFromEvent({
        ...pending,
        resource: { ...pending.resource, 'prefect.resource.id': 'prefect.task-run.nope' },
      }),
      undefined,
    );
    assert.equal(
      taskRunRecordFromEvent({ ...pending, payload: { ...pending.payload, task_run: { name: 'x' } } }),
      undefined,
    );
    assert.equal(
      taskRunRecordFromEvent({ ...pending, payload: { ...pending.payload, validated_state: { type: 'NOPE' } } }),
      undefined,
    );
    // Without a flow-run related resource the task run has no flow run.
    assert.equal(taskRunRecordFromEvent({ ...pending, related: [] })?.flowRunId, null);
  });
});
