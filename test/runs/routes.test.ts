/** The run routes through the native API on both path families: shapes, status codes, bad input. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const MISSING = '01a20588-0000-7000-8000-000000000000';

const FLOW_RUN_KEYS = [
  'id',
  'created',
  'updated',
  'name',
  'flow_id',
  'state_id',
  'deployment_id',
  'deployment_version',
  'work_queue_id',
  'work_queue_name',
  'flow_version',
  'parameters',
  'idempotency_key',
  'context',
  'empirical_policy',
  'tags',
  'labels',
  'parent_task_run_id',
  'state_type',
  'state_name',
  'run_count',
  'expected_start_time',
  'next_scheduled_start_time',
  'start_time',
  'end_time',
  'total_run_time',
  'estimated_run_time',
  'estimated_start_time_delta',
  'auto_scheduled',
  'infrastructure_document_id',
  'infrastructure_pid',
  'created_by',
  'work_pool_id',
  'work_pool_name',
  'state',
  'job_variables',
];

forEachEngine('run routes', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  for (const family of ['oss', 'cloud'] as const) {
    it(`serves flows on ${family} paths`, async () => {
      const c = new RunClient(s, family);
      const f = await c.call(
        'POST',
        '/flows/',
        { name: `flow-${family}`, tags: [family], labels: { team: 'data', n: 1, ok: true } },
        201,
      );
      assert.deepEqual(Object.keys(f), ['id', 'created', 'updated', 'name', 'tags', 'labels']);
      assert.deepEqual(f.labels, { team: 'data', n: 1, ok: true });
      const again = await c.call('POST', '/flows/', { name: `flow-${family}` }, 200);
      assert.deepEqual(again, f);
      assert.deepEqual(await c.call('GET', `/flows/${f.id}`, undefined, 200), f);
      assert.deepEqual(await c.call('POST', '/flows/filter', { flows: { name: { any_: [`flow-${family}`] } } }, 200), [
        f,
      ]);
      assert.equal(await c.call('POST', '/flows/count', { flows: { tags: { all_: [family] } } }, 200), 1);
      assert.deepEqual(await c.call('GET', `/flows/${MISSING}`, undefined, 404), { detail: 'Flow not found' });
      await c.call('POST', '/flows/', { name: 'a/b' }, 422);
      await c.call('POST', '/flows/', { name: 'x', owner: 'me' }, 422);
      await c.call('POST', '/flows/', { name: 'x', labels: { a: [1] } }, 422);
      await c.call('POST', '/flows/', {}, 422);
    });

    it(`serves flow runs on ${family} paths`, async () => {
      const c = new RunClient(s, family);
      const f = await c.call('POST', '/flows/', { name: `runs-${family}`, labels: { team: 'data' } }, 201);
      const body = {
        state: { type: 'PENDING', name: 'Pending', message: null, state_details: { traceparent: null }, data: null },
        name: null,
        flow_id: f.id,
        flow_version: 'abc',
        parameters: { n: 10 },
        context: {},
        parent_task_run_id: null,
        empirical_policy: { retries: 0, retry_delay: 0 },
        tags: ['t1'],
        labels: { mine: 'yes' },
      };
      const run = await c.call('POST', '/flow_runs/', body, 201);
      assert.deepEqual(Object.keys(run), FLOW_RUN_KEYS);
      assert.match(run.name, /^[a-z]+-[a-z]+$/);
      assert.deepEqual(run.labels, { team: 'data', 'prefect.flow.id': f.id, mine: 'yes' });
      assert.deepEqual(run.empirical_policy, {
        max_retries: 0,
        retry_delay_seconds: 0,
        retries: 0,
        retry_delay: 0,
        pause_keys: [],
        resuming: false,
        retry_type: null,
      });
      assert.equal(run.state.state_details.deferred, false);
      assert.equal(run.state.state_details.flow_run_id, run.id);
      assert.equal(run.expected_start_time, run.state.timestamp);
      assert.deepEqual(
        await c
          .call('GET', `/flow_runs/${run.id}`, undefined, 200)
          .then((r) => ({ ...r, estimated_start_time_delta: 0 })),
        {
          ...run,
          estimated_start_time_delta: 0,
        },
      );
      await c.call('PATCH', `/flow_runs/${run.id}`, { name: 'renamed', tags: ['t2'], parameters: { n: 11 } }, 204);
      await c.call('PATCH', `/flow_runs/${run.id}/labels`, { mine: 'no', extra: 3 }, 204);
      const read = await c.getRun(run.id);
      assert.equal(read.name, 'renamed');
      assert.deepEqual(read.tags, ['t2']);
      assert.deepEqual(read.parameters, { n: 11 });
      assert.deepEqual(read.labels, { team: 'data', 'prefect.flow.id': f.id, mine: 'no', extra: 3 });
      assert.equal((await c.call('POST', '/flow_runs/count', {}, 200)) >= 1, true);
      const states = await c.call('GET', `/flow_run_states/?flow_run_id=${run.id}`, undefined, 200);
      assert.deepEqual(states, [run.state]);
      assert.deepEqual(await c.call('GET', `/flow_run_states/${run.state.id}`, undefined, 200), run.state);
      assert.deepEqual(await c.call('GET', `/flow_run_states/?flow_run_id=${MISSING}`, undefined, 200), []);
      await c.call('GET', '/flow_run_states/', undefined, 422);
      await c.call('GET', `/flow_run_states/${MISSING}`, undefined, 404);
      assert.deepEqual(await c.call('GET', `/flow_runs/${MISSING}`, undefined, 404), { detail: 'Flow run not found' });
      await c.call('PATCH', `/flow_runs/${MISSING}`, { name: 'x' }, 404);
      await c.call('PATCH', `/flow_runs/${MISSING}/labels`, { a: 1 }, 404);
      await c.call('DELETE', `/flow_runs/${MISSING}`, undefined, 404);
      await c.call('PATCH', `/flow_runs/${run.id}`, { state_type: 'RUNNING' }, 422);
      await c.call('PATCH', `/flow_runs/${run.id}/labels`, ['x'], 422);
      // Creation: unknown fields, missing flow_id, unknown flow, oversized parameters.
      await c.call('POST', '/flow_runs/', { flow_id: f.id, id: MISSING }, 422);
      await c.call('POST', '/flow_runs/', { name: 'x' }, 422);
      await c.call('POST', '/flow_runs/', { flow_id: MISSING }, 404);
      await c.call('POST', '/flow_runs/', { flow_id: f.id, parameters: { big: 'x'.repeat(600_000) } }, 422);
      // Idempotency key: 201 then 200 with the same run.
      const k1 = await c.call('POST', '/flow_runs/', { flow_id: f.id, idempotency_key: 'once' }, 201);
      const k2 = await c.call('POST', '/flow_runs/', { flow_id: f.id, idempotency_key: 'once' }, 200);
      assert.equal(k2.id, k1.id);
    });

    it(`serves task runs on ${family} paths`, async () => {
      const c = new RunClient(s, family);
      const run = await c.run();
      const body = {
        flow_run_id: run.id,
        task_key: 'extract-3de472e5',
        dynamic_key: '0',
        name: 'extract-0',
        tags: ['x'],
        task_inputs: {
          n: [],
          xs: [
            { input_type: 'task_run', id: MISSING },
            { input_type: 'parameter', name: 'n' },
          ],
        },
      };
      const t = await c.call('POST', '/task_runs/', body, 201);
      assert.equal(t.name, 'extract-0');
      assert.deepEqual(t.task_inputs, body.task_inputs);
      assert.deepEqual(t.empirical_policy, {
        max_retries: 0,
        retry_delay_seconds: 0,
        retries: null,
        retry_delay: null,
        retry_jitter_factor: null,
      });
      const stable = (x: any) => ({ ...x, estimated_start_time_delta: 0 });
      assert.deepEqual(stable(await c.call('POST', '/task_runs/', body, 200)), stable(t));
      assert.deepEqual(stable(await c.call('GET', `/task_runs/${t.id}`, undefined, 200)), stable(t));
      await c.call('PATCH', `/task_runs/${t.id}`, { name: 'renamed' }, 204);
      assert.equal((await c.call('GET', `/task_runs/${t.id}`, undefined, 200)).name, 'renamed');
      await c.call('PATCH', `/task_runs/${t.id}`, { tags: ['no'] }, 422);
      const list = await c.call('POST', '/task_runs/filter', { flow_runs: { id: { any_: [run.id] } } }, 200);
      assert.deepEqual(
        list.map((x: any) => x.id),
        [t.id],
      );
      assert.equal(
        (await c.call('POST', '/task_runs/count', { task_runs: { tags: { all_: ['x'] } } }, 200)) >= 1,
        true,
      );
      assert.equal((await c.call('GET', `/task_run_states/?task_run_id=${t.id}`, undefined, 200)).length, 1);
      assert.deepEqual(await c.call('GET', `/task_runs/${MISSING}`, undefined, 404), { detail: 'Task not found' });
      await c.call('POST', '/task_runs/', { flow_run_id: run.id, task_key: 'k' }, 422);
      await c.call(
        'POST',
        '/task_runs/',
        { task_key: 'k', dynamic_key: '0', task_inputs: { a: [{ input_type: 'bogus' }] } },
        422,
      );
      await c.call('POST', '/task_runs/', { task_key: 'k', dynamic_key: '0', flow_run_name: 'x' }, 422);
      await c.call('DELETE', `/task_runs/${t.id}`, undefined, 204);
      await c.call('DELETE', `/task_runs/${t.id}`, undefined, 404);
    });

    it(`serves artifacts on ${family} paths`, async () => {
      const c = new RunClient(s, family);
      const run = await c.run();
      const md = await c.call(
        'POST',
        '/artifacts/',
        { key: `report-${family}`, type: 'markdown', description: 'd', data: '# Hi', flow_run_id: run.id },
        201,
      );
      assert.deepEqual(Object.keys(md), [
        'id',
        'created',
        'updated',
        'key',
        'type',
        'description',
        'data',
        'metadata_',
        'flow_run_id',
        'task_run_id',
      ]);
      const progress = await c.call('POST', '/artifacts/', { type: 'progress', data: 0.0, flow_run_id: run.id }, 201);
      await c.call('PATCH', `/artifacts/${progress.id}`, { data: 50.0 }, 204);
      assert.equal((await c.call('GET', `/artifacts/${progress.id}`, undefined, 200)).data, 50);
      const found = await c.call(
        'POST',
        '/artifacts/filter',
        { artifacts: { flow_run_id: { any_: [run.id] } }, sort: 'KEY_ASC' },
        200,
      );
      assert.deepEqual(
        found.map((a: any) => a.id),
        [md.id, progress.id],
      );
      assert.equal(
        await c.call(
          'POST',
          '/artifacts/count',
          { artifacts: { type: { any_: ['progress'] } }, flow_runs: { id: { any_: [run.id] } } },
          200,
        ),
        1,
      );
      await c.call('POST', '/artifacts/', { key: 'Not_Valid' }, 422);
      await c.call('POST', '/artifacts/', { data: 1, extra: 1 }, 422);
      await c.call('GET', `/artifacts/${MISSING}`, undefined, 404);
      await c.call('DELETE', `/artifacts/${md.id}`, undefined, 204);
      await c.call('DELETE', `/artifacts/${md.id}`, undefined, 404);
    });
  }

  it('validates filter bodies: limits, sorts, unknown filter keys; ignores unknown top-level keys', async () => {
    const c = new RunClient(s);
    assert.ok(
      Array.isArray(
        await c.call(
          'POST',
          '/flow_runs/filter',
          { flows: null, flow_runs: null, limit: null, offset: null, sort: null },
          200,
        ),
      ),
    );
    assert.ok(Array.isArray(await c.call('POST', '/flow_runs/filter', { something_new: 1 }, 200)));
    await c.call('POST', '/flow_runs/filter', { limit: 201 }, 422);
    await c.call('POST', '/flow_runs/filter', { limit: -1 }, 422);
    await c.call('POST', '/flow_runs/filter', { offset: -1 }, 422);
    await c.call('POST', '/flow_runs/filter', { sort: 'SIDEWAYS' }, 422);
    await c.call('POST', '/flow_runs/filter', { flow_runs: { nme: {} } }, 422);
    await c.call('POST', '/flow_runs/filter', { flow_runs: { state: { type: { any_: ['DONE'] } } } }, 422);
    await c.call('POST', '/flow_runs/filter', { flow_runs: { operator: 'xor_' } }, 422);
    await c.call('POST', '/task_runs/filter', { sort: 'START_TIME_ASC' }, 422);
    await c.call('POST', '/flow_runs/count', { flows: { name: 'x' } }, 422);
    await c.call('POST', '/artifacts/filter', { artifacts: { key: { exists_: 'perhaps' } } }, 422);
    const r = await s.request('POST', s.cloud('/task_runs/filter'), { offset: 10_002 });
    assert.equal(r.statusCode, 422);
    assert.equal((await s.request('POST', s.oss('/task_runs/filter'), { offset: 10_002 })).statusCode, 200);
    // Paging: limit/offset over a sorted set.
    const f = await c.flow('paging');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await c.run(f.id, { name: `p${i}` })).id);
    const page = await c.call(
      'POST',
      '/flow_runs/filter',
      { flows: { id: { any_: [f.id] } }, sort: 'NAME_DESC', limit: 2, offset: 1 },
      200,
    );
    assert.deepEqual(
      page.map((r: any) => r.name),
      ['p3', 'p2'],
    );
    assert.equal(await c.call('POST', '/flow_runs/count', { flows: { id: { any_: [f.id] } } }, 200), 5);
  });

  it('takes id lists of any length', async () => {
    const c = new RunClient(s);
    const run = await c.run();
    const ids = Array.from({ length: 40_000 }, (_, i) => `01a20588-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const found = await c.call('POST', '/flow_runs/filter', { flow_runs: { id: { any_: [...ids, run.id] } } }, 200);
    assert.deepEqual(
      found.map((r: any) => r.id),
      [run.id],
    );
    assert.ok((await c.call('POST', '/flow_runs/count', { flow_runs: { id: { not_any_: ids } } }, 200)) >= 1);
    assert.equal(
      await c.call('POST', '/task_runs/count', { task_runs: { tags: { all_: ids.slice(0, 20_000) } } }, 200),
      0,
    );
  });

  it('deletes a flow run with its logs, task runs, states and artifacts', async () => {
    const c = new RunClient(s);
    const run = await c.run();
    const other = await c.run();
    const task = await c.call('POST', '/task_runs/', { flow_run_id: run.id, task_key: 'k', dynamic_key: '0' }, 201);
    await c.call(
      'POST',
      '/artifacts/',
      { type: 'markdown', data: 'x', flow_run_id: run.id, task_run_id: task.id },
      201,
    );
    const ts = '2026-01-01T00:00:00Z';
    const logs = [
      { name: 'n', level: 20, message: 'flow log', timestamp: ts, flow_run_id: run.id, task_run_id: null },
      { name: 'n', level: 20, message: 'task log', timestamp: ts, flow_run_id: run.id, task_run_id: task.id },
      { name: 'n', level: 20, message: 'other log', timestamp: ts, flow_run_id: other.id, task_run_id: null },
    ];
    assert.equal((await s.request('POST', s.oss('/logs/'), logs)).statusCode, 201);
    await c.call('DELETE', `/flow_runs/${run.id}`, undefined, 204);
    await c.call('GET', `/flow_runs/${run.id}`, undefined, 404);
    await c.call('GET', `/task_runs/${task.id}`, undefined, 404);
    assert.deepEqual(await c.call('GET', `/flow_run_states/?flow_run_id=${run.id}`, undefined, 200), []);
    assert.equal(await c.call('POST', '/artifacts/count', { artifacts: { flow_run_id: { any_: [run.id] } } }, 200), 0);
    const left = await c.call('POST', '/logs/filter', { logs: { flow_run_id: { any_: [run.id, other.id] } } }, 200);
    assert.deepEqual(
      left.map((l: any) => l.message),
      ['other log'],
    );
    assert.equal((await c.getRun(other.id)).id, other.id);
  });

  it('answers the client support routes', async () => {
    const c = new RunClient(s);
    assert.deepEqual(await c.call('GET', '/admin/storage', undefined, 200), { default_result_storage_block_id: null });
    const lease = await c.call(
      'POST',
      '/v2/concurrency_limits/increment-with-lease',
      {
        names: ['tag:db'],
        slots: 1,
        mode: 'concurrency',
        lease_duration: 60,
        holder: { type: 'task_run', id: MISSING },
      },
      200,
    );
    assert.match(lease.lease_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(lease.limits, []);
    await c.call('POST', '/v2/concurrency_limits/increment-with-lease', { names: ['tag:db'], slots: 0 }, 422);
    await c.call(
      'POST',
      '/v2/concurrency_limits/increment-with-lease',
      { names: ['tag:db'], slots: 1, lease_duration: 5 },
      422,
    );
    const cloud = await s.request('GET', s.cloud('/admin/storage'));
    assert.equal(cloud.statusCode, 200);
  });

  it('answers 404 Not Found for routes it does not serve', async () => {
    for (const [method, path] of [
      ['GET', '/deployments/x'],
      ['POST', '/flow_runs/filter-minimal'],
      ['POST', '/v2/concurrency_limits/leases/01a20588-0000-7000-8000-000000000000/renew'],
      ['POST', '/work_pools/'],
      ['GET', '/flow_runs/01a20588-0000-7000-8000-000000000000/graph'],
    ] as const) {
      const r = await s.request(method, s.oss(path), method === 'POST' ? {} : undefined);
      assert.equal(r.statusCode, 404, path);
      assert.deepEqual(r.json(), { detail: 'Not Found' });
    }
  });
});
