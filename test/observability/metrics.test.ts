/**
 * `GET /metrics`: counters move by exactly the traffic sent, route labels are templates, gauges
 * read the writers, websockets and database, and `--auth` guards it unless `--metrics-public`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engines, forEachEngine, forEngine } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

type Samples = Map<string, number>;

const sqlite = engines.find((e) => e.name === 'sqlite')!;

/** The scrape as `name{labels}` → value (label order as served). */
async function scrape(s: TestServer, headers: Record<string, string> = {}): Promise<Samples> {
  const res = await s.request('GET', '/metrics', undefined, headers);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const samples: Samples = new Map();
  for (const line of res.body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

const delta = (before: Samples, after: Samples, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

forEachEngine('metrics', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('counts requests by route template and status, and items committed by kind', async () => {
    const first = await scrape(s);
    await postLogs(s, [{ message: 'a' }, { message: 'b' }, { message: 'c' }]);
    await postLogs(s, [{ message: 'd' }, { message: 'e' }]);
    const missing = randomUUID();
    for (let i = 0; i < 2; i++) assert.equal((await s.request('GET', s.oss(`/flow_runs/${missing}`))).statusCode, 404);
    assert.equal((await s.request('GET', s.cloud(`/flow_runs/${missing}`))).statusCode, 404);
    assert.equal((await s.request('GET', `/api/no-such-route/${missing}`)).statusCode, 404);
    const events = [0, 1].map(() => ({
      id: randomUUID(),
      event: 'test.metrics',
      occurred: new Date().toISOString(),
      resource: { 'prefect.resource.id': 'test.r' },
    }));
    assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
    const second = await scrape(s);

    const req = (method: string, route: string, status: number) =>
      `sightline_http_requests_total{method="${method}",route="${route}",status="${status}"}`;
    assert.equal(delta(first, second, req('POST', '/api/logs/', 201)), 2);
    assert.equal(delta(first, second, req('GET', '/api/flow_runs/{id}', 404)), 2);
    assert.equal(
      delta(first, second, req('GET', '/api/accounts/{account_id}/workspaces/{workspace_id}/flow_runs/{id}', 404)),
      1,
    );
    assert.equal(delta(first, second, req('GET', 'unmatched', 404)), 1);
    assert.equal(delta(first, second, req('GET', '/metrics', 200)), 1, 'the first scrape is counted');
    assert.equal(
      delta(first, second, 'sightline_http_request_duration_seconds_count{method="POST",route="/api/logs/"}'),
      2,
    );
    for (const key of second.keys()) assert.ok(!key.includes(missing), `a raw path leaked into a label: ${key}`);

    assert.equal(delta(first, second, 'sightline_ingested_items_total{kind="logs"}'), 5);
    assert.equal(delta(first, second, 'sightline_group_commit_items_sum{kind="logs"}'), 5);
    assert.ok(delta(first, second, 'sightline_group_commit_items_count{kind="logs"}') >= 1);
    assert.equal(delta(first, second, 'sightline_ingested_items_total{kind="events"}'), 2);
    assert.equal(second.get('sightline_writer_backlog_items{kind="logs"}'), 0);
  });

  it('reads the database, the text index and the process at scrape time', async () => {
    await postLogs(s, [{ message: 'indexed later' }]);
    const samples = await scrape(s);
    assert.equal(samples.get('sightline_database_up'), 1);
    assert.ok(samples.get('sightline_database_size_bytes')! > 0);
    assert.ok(samples.get('sightline_text_index_lag_logs')! >= 0);
    assert.ok(samples.get('process_resident_memory_bytes')! > 0);
    assert.ok(samples.has('nodejs_heap_size_used_bytes'));
    assert.ok(samples.has('nodejs_eventloop_lag_p99_seconds'));
    // The background indexer catches up; the gauge follows it.
    const deadline = Date.now() + 60_000;
    while ((await scrape(s)).get('sightline_text_index_lag_logs') !== 0) {
      assert.ok(Date.now() < deadline, 'the text index lag never reached 0');
      await new Promise((r) => setTimeout(r, 50));
    }
    if (engine.name === 'postgres') {
      assert.ok(samples.get('sightline_db_pool_connections{state="total"}')! >= 1);
      assert.ok(samples.has('sightline_db_pool_connections{state="waiting"}'));
    } else assert.ok(![...samples.keys()].some((k) => k.startsWith('sightline_db_pool_connections')));
  });
});

forEngine('sqlite', 'metrics of websockets and rate limits', () => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(sqlite, { 'rate-limit-requests': '3' });
    api = await s.listen();
  });
  after(() => s.close());

  it('counts open websockets and live subscribers while they are open', async () => {
    const socket = await openSocket(wsUrl(api, '/logs/out'));
    socket.send({ type: 'filter', filter: {} });
    const open = await scrape(s);
    assert.equal(open.get('sightline_websocket_connections{route="/logs/out"}'), 1);
    assert.equal(open.get('sightline_live_subscribers{route="/logs/out"}'), 1);
    assert.equal(open.get('sightline_live_subscribers{route="/events/out"}'), 0);
    assert.equal(open.get('sightline_live_buffered_bytes{route="/logs/out"}'), 0);
    socket.ws.close();
    await socket.closed;
    const deadline = Date.now() + 60_000;
    while ((await scrape(s)).get('sightline_live_subscribers{route="/logs/out"}') !== 0) {
      assert.ok(Date.now() < deadline, 'the closed socket is still counted');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('counts each request a rate limit refuses', async () => {
    const first = await scrape(s);
    const statuses: number[] = [];
    // The websocket above took one request of the address's three.
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${api}/version`)).status);
    const refused = statuses.filter((c) => c === 429).length;
    assert.ok(refused >= 2, `statuses: ${statuses}`);
    const second = await scrape(s);
    assert.equal(delta(first, second, 'sightline_rate_limit_rejections_total{limit="requests"}'), refused);
  });
});

describe('metrics under --auth', () => {
  const engine = sqlite;

  it('needs a read key, unless --metrics-public', async () => {
    const s = await startServer(engine, { auth: 'true' });
    try {
      const bare = await s.request('GET', '/metrics');
      assert.equal(bare.statusCode, 401, bare.body);
      const read = await makeKey(s, 'read');
      await scrape(s, read.bearer);
    } finally {
      await s.close();
    }
    const open = await startServer(engine, { auth: 'true', 'metrics-public': 'true' });
    try {
      await scrape(open);
      assert.equal(
        (await open.request('GET', open.oss('/flow_runs/filter'))).statusCode,
        401,
        'only /metrics is opened',
      );
    } finally {
      await open.close();
    }
  });
});
