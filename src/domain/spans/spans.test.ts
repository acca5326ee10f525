import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectObservedStates, selectObservedTags } from './observed.ts';
import { adjustChildCounts, childCountsFrom, place, replant } from './placement.ts';
import { flowRunSpanSource, pythonTypeName, spanSearchText, taskRunSpanSource } from './sources.ts';
import { comparePositions, NULL_START, positionOf, pythonFloat, runningTime } from './span.ts';

describe('span placement', () => {
  it('places roots, children, children of missing parents, and refuses cycles', () => {
    assert.deepEqual(place('a', null, undefined), { trace_id: 'a', parent_span_id: null, path: [], depth: 0 });
    assert.deepEqual(place('a', 'a', undefined), { trace_id: 'a', parent_span_id: null, path: [], depth: 0 });
    assert.deepEqual(place('b', 'a', undefined), { trace_id: 'a', parent_span_id: 'a', path: ['a'], depth: 1 });
    assert.deepEqual(place('c', 'b', { span_id: 'b', trace_id: 'r', path: ['r', 'a'] }), {
      trace_id: 'r',
      parent_span_id: 'b',
      path: ['r', 'a', 'b'],
      depth: 3,
    });
    // b descends from c: linking c under b would close a cycle.
    assert.deepEqual(place('c', 'b', { span_id: 'b', trace_id: 'c', path: ['c', 'x'] }), {
      trace_id: 'c',
      parent_span_id: null,
      path: [],
      depth: 0,
    });
  });

  it('replants a descendant under its moved ancestor, keeping the path below it', () => {
    assert.deepEqual(replant('s', { trace_id: 'r', path: ['r', 't'] }, { path: ['s', 'x'] }), {
      trace_id: 'r',
      path: ['r', 't', 's', 'x'],
      depth: 4,
    });
    assert.deepEqual(replant('s', { trace_id: 's', path: [] }, { path: ['r', 't', 's'] }), {
      trace_id: 's',
      path: ['s'],
      depth: 1,
    });
  });

  it('keeps child counts by span type and state name, artifacts in the total only', () => {
    let c = { child_count: 0, child_state_counts: {} };
    c = adjustChildCounts(c, { parent: 'p', span_type: 'task-run', state_name: 'Running' }, 1);
    c = adjustChildCounts(c, { parent: 'p', span_type: 'artifact', state_name: null }, 1);
    assert.deepEqual(c, { child_count: 2, child_state_counts: { 'task-run': { Running: 1 } } });
    c = adjustChildCounts(c, { parent: 'p', span_type: 'task-run', state_name: 'Running' }, -1);
    assert.deepEqual(c, { child_count: 1, child_state_counts: {} });
    assert.deepEqual(
      childCountsFrom([
        { span_type: 'task-run', state_name: 'Failed', n: 2 },
        { span_type: 'artifact', state_name: null, n: 3 },
      ]),
      { child_count: 5, child_state_counts: { 'task-run': { Failed: 2 } } },
    );
  });
});

describe('span fields', () => {
  it('renders running time as Python float seconds, growing while RUNNING', () => {
    assert.equal(pythonFloat(3), '3.0');
    assert.equal(pythonFloat(12.5), '12.5');
    assert.equal(runningTime({ total_run_time: null, state_type: null, state_timestamp: null }, 0), null);
    assert.equal(
      runningTime({ total_run_time: 2_000_000, state_type: 'COMPLETED', state_timestamp: 10 }, 99_000_000),
      '2.0',
    );
    assert.equal(
      runningTime({ total_run_time: 2_000_000, state_type: 'RUNNING', state_timestamp: 1_000_000 }, 1_500_000),
      '2.5',
    );
  });

  it('orders positions by start (unstarted last), then id', () => {
    const a = positionOf({ start_time: 5, span_id: 'b' });
    const b = positionOf({ start_time: 5, span_id: 'c' });
    const n = positionOf({ start_time: null, span_id: 'a' });
    assert.equal(n.start, NULL_START);
    assert.deepEqual([comparePositions(a, b), comparePositions(b, n), comparePositions(n, n)], [-1, -1, 0]);
  });

  it('derives attributes and search text from runs', () => {
    assert.deepEqual(['x', 1, 1.5, true, null, [], {}].map(pythonTypeName), [
      'str',
      'int',
      'float',
      'bool',
      'NoneType',
      'list',
      'dict',
    ]);
    const f = flowRunSpanSource({
      id: 'f',
      name: 'Agile-Chital',
      parent_task_run_id: 't',
      start_time: 1,
      end_time: null,
      total_run_time: 0,
      state_type: 'RUNNING',
      state_name: 'Running',
      state_timestamp: 1,
      tags: ['ETL'],
      labels: { team: 'data', __OTEL_TRACEPARENT: '00-abc' },
      parameters: { n: 5 },
      run_count: 1,
    });
    assert.equal(f.parent_id, 't');
    assert.deepEqual(f.attributes, {
      team: 'data',
      'prefect.run.type': 'flow',
      'prefect.run.run_count': 1,
      'prefect.run.parameter.n': 'int',
    });
    assert.equal(spanSearchText(f), 'agile-chital\netl\ndata\nflow\n1\nint');
    const t = taskRunSpanSource({
      id: 't',
      name: 'x',
      flow_run_id: null,
      start_time: null,
      end_time: null,
      total_run_time: 0,
      state_type: 'PENDING',
      state_name: 'Pending',
      state_timestamp: 1,
      tags: [],
      labels: {},
      task_inputs: { a: [{ input_type: 'constant', type: 'int' }], b: [{ input_type: 'task_run', id: 'u' }], c: [] },
      run_count: 0,
      flow_run_run_count: 0,
    });
    assert.equal(t.parent_id, null);
    assert.equal(t.attributes['prefect.run.parameter.a'], 'int');
    assert.equal(t.attributes['prefect.run.parameter.b'], 'task_run');
    assert.equal(t.attributes['prefect.run.parameter.c'], 'unknown');
  });
});

describe('observed', () => {
  it('selects states by case-insensitive prefix of type or name, in either order', () => {
    const all = [
      { state_type: 'FAILED', state_name: 'Failed', first_seen: 1, last_seen: 5 },
      { state_type: 'RUNNING', state_name: 'Retrying', first_seen: 2, last_seen: 9 },
      { state_type: 'RUNNING', state_name: 'Running', first_seen: 1, last_seen: 9 },
      { state_type: 'COMPLETED', state_name: 'Completed', first_seen: 3, last_seen: 3 },
    ];
    const names = (q: Parameters<typeof selectObservedStates>[1]) =>
      selectObservedStates(all, q).map((s) => s.state_name);
    assert.deepEqual(names({ orderBy: 'LAST_SEEN_DESC', limit: 10 }), ['Retrying', 'Running', 'Failed', 'Completed']);
    assert.deepEqual(names({ orderBy: 'NAME_ASC', limit: 2 }), ['Completed', 'Failed']);
    assert.deepEqual(names({ prefix: 'run', orderBy: 'NAME_ASC', limit: 10 }), ['Retrying', 'Running']);
    assert.deepEqual(names({ prefix: 'RET', orderBy: 'NAME_ASC', limit: 10 }), ['Retrying']);
  });

  it('orders tags by count, then tag', () => {
    const tags = [
      { tag: 'b', count: 2 },
      { tag: 'a', count: 2 },
      { tag: 'Z', count: 3 },
    ];
    assert.deepEqual(
      selectObservedTags(tags, undefined).map((t) => t.tag),
      ['Z', 'a', 'b'],
    );
    assert.deepEqual(
      selectObservedTags(tags, 'z').map((t) => t.tag),
      ['Z'],
    );
  });
});
