import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { isoAt, LOG_FIELDS, postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

forEachEngine('GET /flow_runs/{id}/logs', (engine) => {
  let server: TestServer;
  const run = uuid4();
  const taskA = uuid4();
  const taskB = uuid4();
  before(async () => {
    server = await startServer(engine);
    await postLogs(server, [
      { message: 'start', timestamp: isoAt(0), flow_run_id: run, level: 20 },
      { message: 'debug detail', timestamp: isoAt(1000), flow_run_id: run, level: 10, name: 'etl.debug' },
      {
        message: 'task A failed: timeout',
        timestamp: isoAt(2000),
        flow_run_id: run,
        task_run_id: taskA,
        level: 40,
        name: 'prefect.task_runs',
      },
      {
        message: 'task B ok',
        timestamp: isoAt(3000),
        flow_run_id: run,
        task_run_id: taskB,
        level: 20,
        name: 'prefect.task_runs',
      },
      { message: 'end', timestamp: isoAt(4000), flow_run_id: run, level: 30 },
      { message: 'another run', timestamp: isoAt(500), flow_run_id: uuid4() },
      { message: 'no run', timestamp: isoAt(600) },
    ]);
  });
  after(() => server.close());

  const get = (query = '', headers: Record<string, string> = {}, path = server.oss(`/flow_runs/${run}/logs`)) =>
    server.request('GET', `${path}${query ? `?${query}` : ''}`, undefined, headers);
  const messages = async (query = '', path?: string) => {
    const res = await get(query, {}, path);
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { message: string }[]).map((l) => l.message);
  };

  it('returns the run’s logs as a bare Log[] in timestamp order, on both path families', async () => {
    const res = await get();
    assert.equal(res.statusCode, 200);
    const logs = res.json() as Record<string, unknown>[];
    assert.equal(logs.length, 5);
    assert.deepEqual(Object.keys(logs[0]).sort(), LOG_FIELDS);
    assert.equal(logs[0].timestamp, '2024-05-01T12:00:00Z');
    assert.deepEqual(await messages('', server.cloud(`/flow_runs/${run}/logs`)), await messages());
  });

  it('applies every query parameter', async () => {
    assert.deepEqual(await messages('level_ge=30'), ['task A failed: timeout', 'end']);
    assert.deepEqual(await messages('level_le=10'), ['debug detail']);
    assert.deepEqual(await messages('level_ge=20&level_le=30'), ['start', 'task B ok', 'end']);
    assert.deepEqual(await messages('sort=TIMESTAMP_DESC&limit=2'), ['end', 'task B ok']);
    assert.deepEqual(await messages('offset=3'), ['task B ok', 'end']);
    assert.deepEqual(await messages('limit=1&offset=1'), ['debug detail']);
    assert.deepEqual(
      await messages(`since=${isoAt(1000)}&until=${isoAt(3000)}`),
      ['debug detail', 'task A failed: timeout', 'task B ok'],
      'inclusive',
    );
    assert.deepEqual(await messages(`task_runs=${taskA},${taskB.toUpperCase()}`), [
      'task A failed: timeout',
      'task B ok',
    ]);
    assert.deepEqual(await messages(`task_runs=${taskB}`), ['task B ok']);
    assert.deepEqual(await messages('task_runs_is_null=true'), ['start', 'debug detail', 'end']);
    assert.deepEqual(await messages('task_runs_is_null=false'), ['task A failed: timeout', 'task B ok']);
    assert.deepEqual(await messages('loggers=etl.debug,prefect.task_runs'), [
      'debug detail',
      'task A failed: timeout',
      'task B ok',
    ]);
    assert.deepEqual(await messages(`text_query=${encodeURIComponent('task -timeout')}`), ['task B ok']);
    assert.deepEqual(await messages(`text_query=${encodeURIComponent('"task a" debug')}`), [
      'debug detail',
      'task A failed: timeout',
    ]);
    assert.deepEqual(await messages('text_query=ETL'), ['debug detail'], 'the logger name is searched too');
    assert.deepEqual(
      await messages('level_ge=20&loggers=prefect.task_runs&text_query=ok'),
      ['task B ok'],
      'conditions combine with AND',
    );
    assert.deepEqual(await messages('limit=200&unknown=1'), await messages(), 'unknown parameters are ignored');
  });

  it('answers [] for a run without logs', async () => {
    assert.deepEqual(await messages('', server.oss(`/flow_runs/${uuid4()}/logs`)), []);
  });

  it('rejects bad parameters with 422 naming the parameter, in each family’s shape', async () => {
    const cases: [string, (string | number)[]][] = [
      ['task_runs=not-a-uuid', ['query', 'task_runs', 0]],
      [`task_runs=${taskA},nope`, ['query', 'task_runs', 1]],
      ['limit=0', ['query', 'limit']],
      ['limit=201', ['query', 'limit']],
      ['offset=-1', ['query', 'offset']],
      ['level_ge=-1', ['query', 'level_ge']],
      ['level_le=high', ['query', 'level_le']],
      ['sort=NEWEST', ['query', 'sort']],
      ['since=yesterday', ['query', 'since']],
      ['task_runs_is_null=maybe', ['query', 'task_runs_is_null']],
      [`text_query=${'x'.repeat(201)}`, ['query', 'text_query']],
    ];
    for (const [query, loc] of cases) {
      const oss = await get(query);
      assert.equal(oss.statusCode, 422, query);
      assert.deepEqual(oss.json().exception_detail[0].loc, loc, query);
      const cloud = await get(query, {}, server.cloud(`/flow_runs/${run}/logs`));
      assert.equal(cloud.statusCode, 422, query);
      assert.deepEqual(cloud.json().detail[0].loc, loc, query);
    }
    assert.equal((await get(`text_query=${'x'.repeat(200)}`)).statusCode, 200);
    assert.equal((await server.request('GET', server.oss('/flow_runs/not-a-uuid/logs'))).statusCode, 404);
  });

  it('sends an ETag that answers 304 until the run gains a log', async () => {
    const first = await get('level_ge=20');
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[^"]+"$/, 'a quoted validator');
    assert.equal((await get('level_ge=20')).headers.etag, etag, 'stable while nothing changes');
    assert.notEqual((await get('level_ge=30')).headers.etag, etag, 'differs per query');

    const notModified = await get('level_ge=20', { 'if-none-match': etag });
    assert.equal(notModified.statusCode, 304);
    assert.equal(notModified.body, '');
    assert.equal(notModified.headers.etag, etag);
    assert.equal(
      (await get('level_ge=20', { 'if-none-match': `"other", W/${etag}` })).statusCode,
      304,
      'lists and weak tags',
    );
    assert.equal((await get('level_ge=20', { 'if-none-match': '*' })).statusCode, 304);
    assert.equal((await get('level_ge=20', { 'if-none-match': '"stale"' })).statusCode, 200);
    assert.equal((await get('level_ge=20', { 'if-none-match': etag, 'accept-encoding': 'gzip' })).statusCode, 304);

    // A log the query does not even return still changes the validator (the run changed).
    await postLogs(server, [{ message: 'late debug', level: 10, timestamp: isoAt(9000), flow_run_id: run }]);
    const changed = await get('level_ge=20', { 'if-none-match': etag });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal((await get('level_ge=20', { 'if-none-match': changed.headers.etag as string })).statusCode, 304);

    const unknown = server.oss(`/flow_runs/${uuid4()}/logs`);
    const empty = await get('', {}, unknown);
    assert.equal((await get('', { 'if-none-match': empty.headers.etag as string }, unknown)).statusCode, 304);
  });
});
