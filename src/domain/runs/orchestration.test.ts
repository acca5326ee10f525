import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyTransition,
  emptyTiming,
  estimatedRunTime,
  estimatedStartTimeDelta,
  nextStateTimestamp,
} from './bookkeeping.ts';
import { type OrchestrationInput, orchestrate, withScheduledTime } from './orchestration.ts';
import { makeState, type StateRow, type StateType } from './states.ts';

const T = 1_714_564_800_000_000;
const S = 1_000_000;
const TID = '5ddd7d1b-3177-49f6-ad76-8f5f146c05a3';

function st(type: StateType, at = T, over: Parameters<typeof makeState>[1] = {}): StateRow {
  return { ...makeState(type, over), id: `00000000-0000-7000-8000-${String(at).slice(-12)}`, timestamp: at };
}

function input(
  current: StateRow | null,
  proposed: ReturnType<typeof makeState>,
  over: Partial<OrchestrationInput> = {},
): OrchestrationInput {
  return {
    kind: 'flow_run',
    current,
    proposed,
    force: false,
    now: T + 10 * S,
    runCount: 1,
    retries: null,
    retryDelay: null,
    ...over,
  };
}

describe('orchestration policy', () => {
  it('accepts ordinary transitions and anything forced', () => {
    assert.equal(orchestrate(input(st('PENDING'), makeState('RUNNING'))).status, 'ACCEPT');
    assert.equal(orchestrate(input(st('RUNNING'), makeState('COMPLETED'))).status, 'ACCEPT');
    assert.equal(orchestrate(input(null, makeState('RUNNING'))).status, 'ACCEPT');
    assert.equal(orchestrate(input(st('COMPLETED'), makeState('RUNNING'), { force: true })).status, 'ACCEPT');
    assert.equal(orchestrate(input(st('CANCELLED'), makeState('PENDING'), { force: true })).status, 'ACCEPT');
  });

  it('rejects a repeated transition id, keeping the current state', () => {
    const d = orchestrate(
      input(
        st('RUNNING', T, { details: { transition_id: TID } }),
        makeState('RUNNING', { details: { transition_id: TID } }),
      ),
    );
    assert.deepEqual(d, { status: 'REJECT', reason: 'This run has already made this state transition.' });
    const other = orchestrate(input(st('RUNNING', T, { details: { transition_id: TID } }), makeState('COMPLETED')));
    assert.equal(other.status, 'ACCEPT');
  });

  it('turns RUNNING → FAILED into AwaitingRetry while flow retries remain', () => {
    const failed = makeState('FAILED', { message: 'boom', data: { storage_key: 'k' } });
    const d = orchestrate(input(st('RUNNING'), failed, { retries: 2, retryDelay: 3, runCount: 2 }));
    assert.equal(d.status, 'REJECT');
    assert.ok(d.status === 'REJECT' && d.state);
    assert.equal(d.reason, 'Retrying');
    assert.equal(d.state.type, 'SCHEDULED');
    assert.equal(d.state.name, 'AwaitingRetry');
    assert.equal(d.state.message, 'boom');
    assert.deepEqual(d.state.data, { storage_key: 'k' });
    assert.equal(d.state.state_details.scheduled_time, T + 13 * S);
    assert.deepEqual(d.patch, { retry_type: 'in_process', resuming: false, pause_keys: [] });
    const exhausted = orchestrate(input(st('RUNNING'), failed, { retries: 2, runCount: 3 }));
    assert.equal(exhausted.status, 'ACCEPT');
    assert.deepEqual(exhausted.status === 'ACCEPT' && exhausted.patch, { retry_type: null });
    assert.equal(orchestrate(input(st('RUNNING'), failed)).status, 'ACCEPT');
  });

  it('retries tasks with per-attempt delays and honours retriable=false', () => {
    const failed = makeState('FAILED');
    const d = orchestrate(
      input(st('RUNNING'), failed, { kind: 'task_run', retries: 3, retryDelay: [1, 5], runCount: 2 }),
    );
    assert.ok(d.status === 'REJECT' && d.state);
    assert.equal(d.state.state_details.scheduled_time, T + 15 * S);
    assert.equal(d.patch, undefined);
    const noRetry = makeState('FAILED', { details: { retriable: false } });
    assert.equal(orchestrate(input(st('RUNNING'), noRetry, { kind: 'task_run', retries: 3 })).status, 'ACCEPT');
  });

  it('aborts PENDING proposals from PENDING, RUNNING, CANCELLING and CANCELLED, but allows named sub-states', () => {
    for (const from of ['PENDING', 'RUNNING', 'CANCELLING', 'CANCELLED'] as const) {
      assert.equal(orchestrate(input(st(from), makeState('PENDING'))).status, 'ABORT', from);
    }
    const d = orchestrate(input(st('RUNNING'), makeState('PENDING')));
    assert.deepEqual(d, {
      status: 'ABORT',
      reason: 'This run is in a RUNNING state and cannot transition to a PENDING state.',
    });
    assert.equal(orchestrate(input(st('PENDING'), makeState('PENDING', { name: 'Submitting' }))).status, 'ACCEPT');
    assert.equal(orchestrate(input(st('SCHEDULED'), makeState('PENDING'))).status, 'ACCEPT');
  });

  it('waits until the scheduled time, and carries it from SCHEDULED into PENDING', () => {
    const scheduled = st('SCHEDULED', T, { details: { scheduled_time: T + 12_500_000 } });
    const d = orchestrate(input(scheduled, makeState('RUNNING')));
    assert.deepEqual(d, { status: 'WAIT', reason: 'Scheduled time is in the future', delaySeconds: 3 });
    const pending = orchestrate(input(scheduled, makeState('PENDING')));
    assert.ok(pending.status === 'ACCEPT');
    assert.equal(pending.state.state_details.scheduled_time, T + 12_500_000);
    const due = st('SCHEDULED', T, { details: { scheduled_time: T + 5 * S } });
    assert.equal(orchestrate(input(due, makeState('RUNNING'))).status, 'ACCEPT');
  });

  it('aborts proposals of cancelling and cancelled runs, except CANCELLING → CANCELLED', () => {
    assert.equal(orchestrate(input(st('CANCELLING'), makeState('COMPLETED'))).status, 'ABORT');
    assert.equal(orchestrate(input(st('CANCELLING'), makeState('CANCELLED'))).status, 'ACCEPT');
    assert.equal(orchestrate(input(st('CANCELLED'), makeState('RUNNING'))).status, 'ABORT');
  });

  it('does not leave a terminal state without force', () => {
    for (const from of ['COMPLETED', 'FAILED', 'CRASHED'] as const) {
      const d = orchestrate(input(st(from), makeState('RUNNING')));
      assert.equal(d.status, 'REJECT', from);
      assert.ok(d.status === 'REJECT' && d.state === undefined);
      assert.equal(orchestrate(input(st(from), makeState('CRASHED'))).status, 'ABORT');
    }
  });

  it('renames re-entries into RUNNING', () => {
    const retry = orchestrate(
      input(st('SCHEDULED', T, { name: 'AwaitingRetry' }), makeState('RUNNING'), { runCount: 1 }),
    );
    assert.ok(retry.status === 'ACCEPT');
    assert.equal(retry.state.name, 'Retrying');
    const first = orchestrate(input(st('PENDING'), makeState('RUNNING'), { runCount: 0 }));
    assert.ok(first.status === 'ACCEPT');
    assert.equal(first.state.name, 'Running');
  });

  it('stops tasks from running while their flow run is not running', () => {
    const d = orchestrate(
      input(st('PENDING'), makeState('RUNNING'), { kind: 'task_run', flowRunStateType: 'COMPLETED', runCount: 0 }),
    );
    assert.deepEqual(d, { status: 'ABORT', reason: 'The enclosing flow must be running to begin task execution.' });
    assert.equal(
      orchestrate(input(st('PENDING'), makeState('RUNNING'), { kind: 'task_run', flowRunStateType: 'RUNNING' })).status,
      'ACCEPT',
    );
    assert.equal(
      orchestrate(input(st('PENDING'), makeState('RUNNING'), { kind: 'task_run', flowRunStateType: undefined })).status,
      'ACCEPT',
    );
  });

  it('schedules a SCHEDULED state without a time for now', () => {
    assert.equal(withScheduledTime(makeState('SCHEDULED'), T).state_details.scheduled_time, T);
    assert.equal(withScheduledTime(makeState('RUNNING'), T).state_details.scheduled_time, null);
  });
});

describe('run bookkeeping', () => {
  it('tracks start, end, run count and run time through a retry', () => {
    let t = emptyTiming();
    const pending = st('PENDING', T);
    t = applyTransition(t, null, pending);
    assert.equal(t.expected_start_time, T);
    const running = st('RUNNING', T + S);
    t = applyTransition(t, pending, running);
    assert.equal(t.start_time, T + S);
    assert.equal(t.run_count, 1);
    assert.equal(estimatedRunTime(t, T + 3 * S), 2 * S);
    assert.equal(estimatedStartTimeDelta(t, T + 3 * S), S);
    const retry = st('SCHEDULED', T + 2 * S, { name: 'AwaitingRetry', details: { scheduled_time: T + 4 * S } });
    t = applyTransition(t, running, retry);
    assert.equal(t.total_run_time, S);
    assert.equal(t.next_scheduled_start_time, T + 4 * S);
    const again = st('RUNNING', T + 4 * S, { name: 'Retrying' });
    t = applyTransition(t, retry, again);
    assert.equal(t.run_count, 2);
    assert.equal(t.next_scheduled_start_time, null);
    assert.equal(t.start_time, T + S);
    const done = st('COMPLETED', T + 5 * S);
    t = applyTransition(t, again, done);
    assert.equal(t.total_run_time, 2 * S);
    assert.equal(t.end_time, T + 5 * S);
    assert.equal(t.state_type, 'COMPLETED');
    assert.equal(estimatedRunTime(t, T + 99 * S), 2 * S);
    // Leaving a terminal state (forced) clears the end time.
    t = applyTransition(t, done, st('RUNNING', T + 6 * S));
    assert.equal(t.end_time, null);
  });

  it('backfills the start of a run that ends without running, and estimates lateness', () => {
    const t0 = applyTransition(emptyTiming(), null, st('SCHEDULED', T, { details: { scheduled_time: T + 10 * S } }));
    assert.equal(t0.expected_start_time, T + 10 * S);
    assert.equal(estimatedStartTimeDelta(t0, T + 15 * S), 5 * S);
    assert.equal(estimatedStartTimeDelta(t0, T + 5 * S), 0);
    const t1 = applyTransition(t0, st('SCHEDULED', T), st('CANCELLED', T + 20 * S));
    assert.equal(t1.start_time, T + 20 * S);
    assert.equal(t1.end_time, T + 20 * S);
  });

  it('does not count a resume from PAUSED as a new run', () => {
    const t = applyTransition({ ...emptyTiming(), run_count: 1 }, st('PAUSED'), st('RUNNING', T + S));
    assert.equal(t.run_count, 1);
  });

  it('mints state timestamps after the current one', () => {
    assert.equal(nextStateTimestamp(T, null), T);
    assert.equal(nextStateTimestamp(T, { timestamp: T }), T + 1);
    assert.equal(nextStateTimestamp(T + 5, { timestamp: T }), T + 5);
  });
});
