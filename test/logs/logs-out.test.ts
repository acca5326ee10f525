import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { isoAt, LOG_FIELDS, postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

forEachEngine('WS /logs/out', (engine) => {
  let server: TestServer;
  let api: string;
  let cloudApi: string;
  before(async () => {
    server = await startServer(engine, { 'live-queue': '50' });
    api = await server.listen();
    cloudApi = api + server.cloud('').slice('/api'.length);
  });
  after(() => server.close());

  const logsOf = (messages: Record<string, any>[]) => messages.filter((m) => m.type === 'log').map((m) => m.log);

  it('delivers each new matching log after commit, in commit order, and nothing from before', async () => {
    const run = uuid4();
    await postLogs(server, [{ message: 'before subscribing', flow_run_id: run }]);
    const s = await openSocket(wsUrl(api, '/logs/out'));
    s.send({ type: 'filter', filter: { flow_run_id: { any_: [run] } } });
    await postLogs(server, [
      { message: 'one', flow_run_id: run, timestamp: isoAt(5000) },
      { message: 'elsewhere', flow_run_id: uuid4() },
      { message: 'two', flow_run_id: run, timestamp: isoAt(1000) },
    ]);
    await postLogs(server, [{ message: 'three', flow_run_id: run }]);
    await s.until(() => s.messages.length >= 3);
    const logs = logsOf(s.messages);
    assert.deepEqual(
      logs.map((l) => l.message),
      ['one', 'two', 'three'],
    );
    assert.deepEqual(s.messages[0], { type: 'log', log: s.messages[0].log });
    assert.deepEqual(Object.keys(logs[0]).sort(), LOG_FIELDS);
    assert.equal(logs[0].timestamp, '2024-05-01T12:00:05Z');
    s.ws.close();
  });

  it('applies every LogFilter field live, text and operator included', async () => {
    const run = uuid4();
    const s = await openSocket(wsUrl(api, '/logs/out'));
    s.send({
      type: 'filter',
      filter: { operator: 'or_', level: { ge_: 40 }, text: { query: 'deploy -skipped' }, loggers: { any_: ['audit'] } },
    });
    const t = await openSocket(wsUrl(api, '/logs/out'));
    t.send({
      type: 'filter',
      filter: { flow_run_id: { any_: [run] }, task_run_id: { is_null_: true }, timestamp: { after_: isoAt(1000) } },
    });
    await postLogs(server, [
      { message: 'error!', level: 40 },
      { message: 'Deploy started' },
      { message: 'deploy skipped' },
      { message: 'quiet', name: 'audit' },
      { message: 'quiet' },
      { message: 'run, no task, late', flow_run_id: run, timestamp: isoAt(2000) },
      { message: 'run, no task, early', flow_run_id: run, timestamp: isoAt(0) },
      { message: 'run, task', flow_run_id: run, task_run_id: uuid4(), timestamp: isoAt(2000) },
      { message: 'end' },
    ]);
    await postLogs(server, [{ message: 'end marker', level: 50, flow_run_id: run, timestamp: isoAt(3000) }]);
    await s.until(() => logsOf(s.messages).some((l) => l.message === 'end marker'));
    await t.until(() => logsOf(t.messages).some((l) => l.message === 'end marker'));
    assert.deepEqual(
      logsOf(s.messages).map((l) => l.message),
      ['error!', 'Deploy started', 'quiet', 'end marker'],
    );
    assert.deepEqual(
      logsOf(t.messages).map((l) => l.message),
      ['run, no task, late', 'end marker'],
    );
    s.ws.close();
    t.ws.close();
  });

  it('serves Cloud paths, one workspace per socket, and legacy clients without the subprotocol', async () => {
    const { store } = server.app;
    const other = await store.tenancy.createWorkspace({
      accountId: server.accountId,
      name: 'Other',
      handle: `o${Date.now()}`,
      description: null,
    });
    const otherApi = api + server.cloud('', other.id).slice('/api'.length);
    const cloud = await openSocket(wsUrl(cloudApi, '/logs/out'));
    cloud.send({ type: 'filter', filter: {} });
    const legacy = await openSocket(wsUrl(otherApi, '/logs/out'), { subprotocol: false });
    legacy.send({ type: 'filter', filter: {} });
    await new Promise((r) => setTimeout(r, 50));
    await postLogs(server, [{ message: 'in other' }], server.cloud('/logs/', other.id));
    await postLogs(server, [{ message: 'in default' }], server.cloud('/logs/'));
    await cloud.until(() => cloud.messages.length >= 1);
    await legacy.until(() => legacy.messages.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      logsOf(cloud.messages).map((l) => l.message),
      ['in default'],
    );
    assert.deepEqual(
      logsOf(legacy.messages).map((l) => l.message),
      ['in other'],
    );
    cloud.ws.close();
    legacy.ws.close();
  });

  it('closes with 1002 on a bad first message or an invalid filter', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'subscribe' }, "Expected 'filter' message"],
      ['not json', "Expected 'filter' message"],
      [
        { type: 'filter', filter: { level: { ge_: 'high' } } },
        'Invalid filter: filter.level.ge_: Input should be a valid integer',
      ],
      [
        { type: 'filter', filter: { name: { any_: ['x'] } } },
        'Invalid filter: filter.name: Extra inputs are not permitted',
      ],
      [
        { type: 'filter', filter: { text: { query: 'x'.repeat(201) } } },
        'Invalid filter: filter.text.query: String should have at most 200 characters',
      ],
      [{ type: 'filter' }, 'Invalid filter: filter: Input should be a valid dictionary or object'],
    ];
    for (const [message, reason] of cases) {
      const s = await openSocket(wsUrl(api, '/logs/out'));
      s.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      assert.deepEqual(await s.closed, { code: 1002, reason });
    }
    const noAuth = await openSocket(wsUrl(api, '/logs/out'), { auth: false });
    noAuth.send({ type: 'filter', filter: {} });
    assert.equal((await noAuth.closed).code, 1008, 'the prefect subprotocol requires auth first');
  });

  it('closes a subscriber that cannot keep up with 1013 instead of dropping logs', { timeout: 60_000 }, async () => {
    // Trigram-indexing megabytes of random text would only slow this test down.
    await server.app.indexer.stop();
    const run = uuid4();
    const s = await openSocket(wsUrl(api, '/logs/out'), { perMessageDeflate: false });
    s.send({ type: 'filter', filter: { flow_run_id: { any_: [run] } } });
    await new Promise((r) => setTimeout(r, 50));
    // Stop reading: the socket's buffers fill, then the server's queue (50 logs here).
    (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = () => randomBytes(6000).toString('base64');
    for (let i = 0; i < 8; i++) {
      await postLogs(
        server,
        Array.from({ length: 500 }, (_, j) => ({ message: `${i * 500 + j} ${big()}`, flow_run_id: run })),
      );
    }
    (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code, reason } = await s.closed;
    assert.equal(code, 1013);
    assert.equal(reason, 'Subscriber cannot keep up: more than 50 logs waiting');
    // What did arrive is a gap-free prefix, in order.
    const got = logsOf(s.messages).map((l) => Number(l.message.split(' ')[0]));
    assert.ok(got.length > 0 && got.length < 4000, `${got.length} logs arrived`);
    assert.deepEqual(
      got,
      got.map((_, i) => i),
    );
  });
});

forEachEngine('WS /logs/out under a burst', (engine) => {
  let server: TestServer;
  let api: string;
  before(async () => {
    server = await startServer(engine);
    api = await server.listen();
    await server.app.indexer.stop();
  });
  after(() => server.close());

  it('keeps a subscriber that reads at network speed, whatever the burst', { timeout: 60_000 }, async () => {
    const run = uuid4();
    // Without permessage-deflate: compressing 1.6 kB messages one by one would be the bottleneck
    // (about 5,000 per second), and this test is about the server's own pacing.
    const s = await openSocket(wsUrl(api, '/logs/out'), { perMessageDeflate: false });
    s.send({ type: 'filter', filter: { flow_run_id: { any_: [run] } } });
    await new Promise((r) => setTimeout(r, 50));
    const N = 12_000;
    const body = randomBytes(1200).toString('base64');
    for (let i = 0; i < N; i += 3000) {
      await postLogs(
        server,
        Array.from({ length: 3000 }, (_, j) => ({ message: `${i + j} ${body}`, flow_run_id: run })),
      );
    }
    await s.until(() => s.messages.length >= N, 30_000, `${N} logs`);
    const got = s.messages.map((m) => Number(m.log.message.split(' ')[0]));
    assert.deepEqual(
      got,
      got.map((_, i) => i),
    );
    s.ws.close();
    assert.equal((await s.closed).code, 1005);
  });
});

forEachEngine('WS /logs/out at shutdown', (engine) => {
  it('closes subscribers with 1001 and lets the server stop promptly', async () => {
    const server = await startServer(engine);
    const s = await openSocket(wsUrl(await server.listen(), '/logs/out'));
    s.send({ type: 'filter', filter: {} });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 3000, 'no wait for clients to leave by themselves');
    assert.deepEqual(await s.closed, { code: 1001, reason: 'Server is shutting down' });
  });
});
