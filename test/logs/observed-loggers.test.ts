import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { isoAt, postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

forEachEngine('observed loggers', (engine) => {
  let server: TestServer;
  const root = uuid4();
  const other = uuid4();
  before(async () => {
    server = await startServer(engine);
    await postLogs(server, [
      { name: 'prefect.flow_runs', timestamp: isoAt(3000), flow_run_id: root },
      { name: 'prefect.flow_runs', timestamp: isoAt(1000), flow_run_id: root },
      { name: 'prefect.task_runs', timestamp: isoAt(2000), flow_run_id: root },
      { name: 'etl.load', timestamp: isoAt(3000), flow_run_id: other },
      { name: 'Etl.Upper', timestamp: isoAt(500) },
      { name: 'prefect.flow_runs', timestamp: isoAt(4000), flow_run_id: other },
    ]);
    // 250 more loggers, to see limits apply.
    await postLogs(
      server,
      Array.from({ length: 250 }, (_, i) => ({
        name: `bulk.${String(i).padStart(3, '0')}`,
        timestamp: isoAt(100 + i),
        flow_run_id: root,
      })),
    );
  });
  after(() => server.close());

  const get = async (path: string) => {
    const res = await server.request('GET', path);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { logger_name: string; count: number; first_seen: string; last_seen: string }[];
  };

  it('lists the workspace’s loggers with counts and first/last log timestamps, most recently seen first', async () => {
    const all = await get(server.oss('/observed-loggers'));
    assert.equal(all.length, 200, 'default limit');
    assert.deepEqual(all.slice(0, 3), [
      {
        logger_name: 'prefect.flow_runs',
        count: 3,
        first_seen: '2024-05-01T12:00:01Z',
        last_seen: '2024-05-01T12:00:04Z',
      },
      { logger_name: 'etl.load', count: 1, first_seen: '2024-05-01T12:00:03Z', last_seen: '2024-05-01T12:00:03Z' },
      {
        logger_name: 'prefect.task_runs',
        count: 1,
        first_seen: '2024-05-01T12:00:02Z',
        last_seen: '2024-05-01T12:00:02Z',
      },
    ]);
    assert.deepEqual(await get(server.cloud('/observed-loggers')), all, 'both path families');
  });

  it('orders by name, filters by case-sensitive prefix, and limits (default 200, at most 200)', async () => {
    const names = async (q: string) => (await get(server.oss(`/observed-loggers?${q}`))).map((l) => l.logger_name);
    assert.deepEqual((await names('order_by=NAME_ASC')).slice(0, 3), ['Etl.Upper', 'bulk.000', 'bulk.001']);
    assert.deepEqual(await names('query=etl'), ['etl.load']);
    assert.deepEqual(await names('query=Etl'), ['Etl.Upper']);
    assert.deepEqual(await names('query=prefect.&order_by=NAME_ASC'), ['prefect.flow_runs', 'prefect.task_runs']);
    assert.deepEqual(await names('query=nothing'), []);
    assert.deepEqual(await names('query=bulk.&limit=2'), ['bulk.249', 'bulk.248']);
    assert.equal((await names('limit=200&order_by=NAME_ASC')).at(-1), 'bulk.198');
    assert.equal((await names('limit=1')).length, 1);
  });

  it('lists a trace’s loggers: those of its root flow run (default limit 100)', async () => {
    const list = await get(server.oss(`/traces/${root}/observed-loggers`));
    assert.equal(list.length, 100);
    const byName = await get(
      server.cloud(`/traces/${root}/observed-loggers?order_by=NAME_ASC&limit=200&query=prefect`),
    );
    assert.deepEqual(byName, [
      {
        logger_name: 'prefect.flow_runs',
        count: 2,
        first_seen: '2024-05-01T12:00:01Z',
        last_seen: '2024-05-01T12:00:03Z',
      },
      {
        logger_name: 'prefect.task_runs',
        count: 1,
        first_seen: '2024-05-01T12:00:02Z',
        last_seen: '2024-05-01T12:00:02Z',
      },
    ]);
    assert.deepEqual(await get(server.oss(`/traces/${uuid4()}/observed-loggers`)), []);
  });

  it('rejects bad parameters with 422', async () => {
    for (const [q, loc] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['order_by=COUNT_DESC', 'order_by'],
      [`query=${'x'.repeat(101)}`, 'query'],
    ]) {
      for (const path of [
        server.oss(`/observed-loggers?${q}`),
        server.cloud(`/traces/${root}/observed-loggers?${q}`),
      ]) {
        const res = await server.request('GET', path);
        assert.equal(res.statusCode, 422, path);
        const detail = path.includes('/accounts/') ? res.json().detail : res.json().exception_detail;
        assert.deepEqual(detail[0].loc, ['query', loc]);
      }
    }
    assert.equal((await server.request('GET', server.oss('/traces/not-a-uuid/observed-loggers'))).statusCode, 404);
  });
});
