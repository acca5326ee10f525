/**
 * `GET /flow_runs/{id}/graph-v2` on both engines: the recorded subflow-failure run, a generated run
 * of 1,000 task runs with dependencies and enclosing tasks, `since` polling and the node limit.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { responseSchema, shapeErrors } from '../helpers/openapi-shape.ts';
import { loadTranscript, replay } from '../helpers/replay.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const GRAPH_SCHEMA = responseSchema('GET', '/flow_runs/{id}/graph-v2');
const ids = (edges: { id: string }[]) => edges.map((e) => e.id);

forEachEngine('flow-run graph', (engine) => {
  let s: TestServer;
  let c: RunClient;

  before(async () => {
    s = await startServer(engine, { 'graph-max-nodes': '1000' });
    c = new RunClient(s);
  });
  after(() => s?.close());

  const graph = async (runId: string, query = ''): Promise<Json> => {
    const r = await s.request('GET', s.oss(`/flow_runs/${runId}/graph-v2${query}`));
    assert.equal(r.statusCode, 200, r.body.slice(0, 300));
    const g = r.json();
    assert.deepEqual(shapeErrors(g, GRAPH_SCHEMA).slice(0, 5), []);
    return g;
  };

  it('draws the recorded subflow failure: the subflow is a flow-run node in its failed state', async () => {
    const base = await s.listen();
    await replay(loadTranscript('subflow-failure'), base.replace(/\/api$/, ''));
    const [flow] = await c.call('POST', '/flows/filter', { flows: { name: { any_: ['etl-parent'] } } }, 200);
    const [parent] = await c.call('POST', '/flow_runs/filter', { flows: { id: { any_: [flow.id] } } }, 200);
    const [child] = await c.call(
      'POST',
      '/flow_runs/filter',
      { flow_runs: { parent_flow_run_id: { any_: [parent.id] } } },
      200,
    );
    const g = await graph(parent.id);
    assert.equal(g.nodes.length, 1);
    const [id, node] = g.nodes[0];
    assert.equal(id, child.id);
    assert.equal(node.kind, 'flow-run');
    assert.equal(node.label, `etl-subflow / ${child.name}`);
    assert.equal(node.state_type, 'FAILED');
    assert.deepEqual(g.root_node_ids, [child.id]);
    assert.equal(g.start_time, parent.start_time);
    assert.equal(g.end_time, parent.end_time);
    const states = await c.call('GET', `/flow_run_states/?flow_run_id=${parent.id}`, undefined, 200);
    assert.deepEqual(
      g.states.map((x: Json) => x.type),
      states.map((x: Json) => x.type),
    );
  });

  it('draws 1,000 task runs with their dependencies and enclosing tasks, and only what changed since', async () => {
    const run = await c.run();
    await c.setState(run.id, 'RUNNING');
    // 100 chains of 10: each task takes the previous one's result; the head of each chain but the
    // first runs inside the first task (`__parents__`).
    const created: Json[] = [];
    for (let k = 0; k < 1000; k++) {
      const inputs: Record<string, object[]> = {};
      if (k % 10) inputs.x = [{ input_type: 'task_run', id: created[k - 1].id }];
      else if (k > 0) inputs.__parents__ = [{ input_type: 'task_run', id: created[0].id }];
      const task = { flow_run_id: run.id, task_key: `t${Math.floor(k / 10)}`, dynamic_key: String(k % 10) };
      created.push(
        await c.call(
          'POST',
          '/task_runs/',
          { ...task, name: `t-${k}`, task_inputs: inputs, state: { type: 'PENDING' } },
          201,
        ),
      );
    }
    const g = await graph(run.id);
    assert.equal(g.nodes.length, 1000);
    const nodes = new Map<string, Json>(g.nodes);
    assert.deepEqual(new Set(g.root_node_ids), new Set(created.filter((_, k) => k % 10 === 0).map((t) => t.id)));
    for (let k = 0; k < 1000; k++) {
      const n = nodes.get(created[k].id);
      assert.equal(n.kind, 'task-run');
      assert.deepEqual(ids(n.parents), k % 10 ? [created[k - 1].id] : []);
      assert.deepEqual(ids(n.children), k % 10 === 9 ? [] : [created[k + 1].id]);
      assert.deepEqual(ids(n.encapsulating), k % 10 === 0 && k > 0 ? [created[0].id] : []);
    }

    // Two tasks finish; a poll since the first one's end sees it and every unfinished node.
    for (const t of [created[0], created[1]]) {
      await c.setState(t.id, 'RUNNING', {}, false, 'task_runs');
      await c.setState(t.id, 'COMPLETED', {}, false, 'task_runs');
    }
    const full: [string, Json][] = (await graph(run.id)).nodes;
    const since = full.find(([id]) => id === created[1].id)![1].end_time;
    const expected = full.filter(([, n]) => n.end_time === null || n.end_time >= since).map(([id]) => id);
    assert.ok(expected.includes(created[1].id) && expected.length >= 999);
    const polled = await graph(run.id, `?since=${encodeURIComponent(since)}`);
    assert.deepEqual(
      polled.nodes.map(([id]: [string]) => id).sort(),
      expected.sort(),
      'nodes that ended before since are not drawn again',
    );
  });

  it('refuses a graph past the node limit with 400, and an unknown run with 404', async () => {
    const run = await c.run();
    for (let i = 0; i < 1001; i++)
      await c.call(
        'POST',
        '/task_runs/',
        { flow_run_id: run.id, task_key: 'many', dynamic_key: String(i), state: { type: 'PENDING' } },
        201,
      );
    const r = await s.request('GET', s.oss(`/flow_runs/${run.id}/graph-v2`));
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.json().detail, /more than 1000 nodes/);
    const missing = await s.request('GET', s.oss('/flow_runs/01a20588-0000-7000-8000-000000000000/graph-v2'));
    assert.equal(missing.statusCode, 404);
  });
});
