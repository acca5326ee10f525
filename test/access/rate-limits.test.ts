/**
 * Rate limits (issue 15, "Limits") on every surface, both engines: the request bucket (HTTP, the
 * REST gateway, MCP, websocket subscriptions), the item bucket (413 past the whole limit, 429 past
 * what is left, nothing written), per-key overrides, failed authentications per address, and
 * `/events/in` slowing down instead of refusing. Limits are small and waits are on conditions;
 * requests that must count go over the network (in-process requests are counted where they
 * entered, so `s.request` reads back without spending anything).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { logItem } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
}

const logs = (n: number, message = 'm') => Array.from({ length: n }, () => logItem({ message }));

/** Logs with `message` stored in the default workspace (read in-process: not counted). */
async function storedLogs(s: TestServer, message: string): Promise<number> {
  const r = await s.request('POST', s.oss('/logs/filter'), { logs: { text: { query: message } }, limit: 200 });
  assert.equal(r.statusCode, 200, r.body);
  return (JSON.parse(r.body) as { message: string }[]).filter((l) => l.message === message).length;
}

async function storedEvents(s: TestServer, name: string, headers: Record<string, string> = {}): Promise<number> {
  const r = await s.request(
    'POST',
    s.oss('/events/filter'),
    { filter: { event: { name: [name] } }, limit: 1 },
    headers,
  );
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body).total;
}

/** Sends requests until one is refused (at most `max`); the answers before it and the refusal. */
async function exhaust(send: () => Promise<Response>, max: number): Promise<{ passed: number; refused: Response }> {
  for (let passed = 0; passed < max; passed++) {
    const r = await send();
    if (r.status !== 429) {
      if (r.status >= 400) assert.fail(`answered ${r.status}: ${await r.text()}`);
      await r.body?.cancel();
      continue;
    }
    return { passed, refused: r };
  }
  throw new Error(`no 429 after ${max} requests`);
}

function assertRetryAfter(r: Response): void {
  const after = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After: ${r.headers.get('retry-after')}`);
}

/** Waits (polling) until `send` is no longer refused: the bucket refills continuously. */
async function refilled(send: () => Promise<Response>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await send();
    await r.body?.cancel();
    if (r.status !== 429) return;
    assert.ok(Date.now() < deadline, 'the bucket did not refill within a minute');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

forEachEngine('rate limits: requests a minute per address, on every surface', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine, { 'rate-limit-requests': '60' });
    api = await s.listen();
  });
  after(() => s.close());

  it('429 with Retry-After past the limit on HTTP, the REST gateway, MCP and websocket upgrades; then refills', async () => {
    const filter = () => post(`${api}/logs/filter`, {});
    const { passed, refused } = await exhaust(filter, 200);
    // 60 at once, and whatever refilled meanwhile (one a second).
    assert.ok(passed >= 60, `only ${passed} requests passed`);
    assert.equal(refused.status, 429);
    assertRetryAfter(refused);
    assert.deepEqual(await refused.json(), { detail: 'Rate limit exceeded' });
    // Health and readiness are never counted nor refused.
    assert.equal((await fetch(`${api}/health`)).status, 200);

    const rest = s.app.capabilities!.restUrls[0];
    const gw = await post(`${rest}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs/filter`, {});
    assert.equal(gw.status, 429);
    assertRetryAfter(gw);
    assert.deepEqual(await gw.json(), { code: 'rate_limited', message: 'Rate limit exceeded' });

    const mcp = await post(
      s.app.capabilities!.mcpUrls[0],
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { accept: 'application/json, text/event-stream' },
    );
    assert.equal(mcp.status, 429);
    assertRetryAfter(mcp);
    assert.equal(((await mcp.json()) as { error: { message: string } }).error.message, 'Rate limit exceeded');

    const ws = new WebSocket(wsUrl(api, '/logs/out'), ['prefect']);
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('error', () => {});
    });
    assert.equal(status, 429);

    await refilled(filter);
  });
});

forEachEngine('rate limits: items written a minute per address', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine, { 'rate-limit-items': '100' });
    api = await s.listen();
  });
  after(() => s.close());

  it('413 naming both numbers past the whole limit, 429 past what is left; nothing written; a refused batch is given back', async () => {
    const tooBig = await post(`${api}/logs/`, logs(101, 'too-big'));
    assert.equal(tooBig.status, 413);
    const { detail } = (await tooBig.json()) as { detail: string };
    assert.match(detail, /\b101 items\b.*\blimit of 100 items a minute\b/);
    assert.equal(await storedLogs(s, 'too-big'), 0);

    assert.equal((await post(`${api}/logs/`, logs(60, 'first'))).status, 201);
    // Logs and events share the bucket: 60 events do not fit in the 40 left.
    const events = Array.from({ length: 60 }, () => ev({ event: 'limits.over' }));
    const over = await post(`${api}/events`, events);
    assert.equal(over.status, 429);
    assertRetryAfter(over);
    assert.deepEqual(await over.json(), { detail: 'Rate limit exceeded' });
    assert.equal(await storedEvents(s, 'limits.over'), 0);

    // An invalid batch (422) writes nothing and costs nothing: 35 of the ~40 left still fit after it.
    const invalid = Array.from({ length: 35 }, () => ({ ...ev(), occurred: 'not a time' }));
    assert.equal((await post(`${api}/events`, invalid)).status, 422);
    assert.equal((await post(`${api}/logs/`, logs(35, 'second'))).status, 201);
    assert.equal(await storedLogs(s, 'first'), 60);
    assert.equal(await storedLogs(s, 'second'), 35);
  });
});

forEachEngine('rate limits: /events/in slows down over the item limit, never drops', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine, { 'rate-limit-items': '60' });
    api = await s.listen();
  });
  after(() => s.close());

  it('stops reading until the bucket refills; the pong waits for every event; all are stored', async () => {
    const start = performance.now();
    const sock = await openSocket(wsUrl(api, '/events/in'));
    // 60 fit at once; the next 6 need 6 s of refill (one a second).
    for (let i = 0; i < 66; i++) sock.send(ev({ event: 'limits.slow' }));
    const pong = new Promise<void>((resolve) => sock.ws.once('pong', () => resolve()));
    sock.ws.ping();
    await pong;
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 5500, `the pong came after ${Math.round(elapsed)} ms, before the refill allowed`);
    assert.equal(await storedEvents(s, 'limits.slow'), 66);
    assert.equal(sock.ws.readyState, WebSocket.OPEN);
    sock.ws.close();
  });
});

forEachEngine('rate limits under --auth: per key, overrides, failed authentications', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine, { auth: 'true', 'auth-fail-limit': '5' });
    api = await s.listen();
  });
  after(() => s.close());

  it("a key's own request limit applies to it alone (the server's is off)", async () => {
    const limited = await makeKey(s, 'read', { rateLimitRequests: 3 });
    const other = await makeKey(s, 'read');
    const { passed, refused } = await exhaust(() => post(`${api}/logs/filter`, {}, limited.bearer), 20);
    assert.ok(passed >= 3 && passed < 20);
    assertRetryAfter(refused);
    for (let i = 0; i < 10; i++) assert.equal((await post(`${api}/logs/filter`, {}, other.bearer)).status, 200);
  });

  it("a key's own item limit: 413 past it; through the gateway too", async () => {
    const k = await makeKey(s, 'write', { rateLimitItems: 10 });
    const r = await post(`${api}/logs/`, logs(11, 'key-items'), k.bearer);
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { detail: string }).detail, /11 items.*limit of 10 items/);
    const rest = s.app.capabilities!.restUrls[0];
    const url = `${rest}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/events`;
    const ok = await post(url, [ev({ event: 'limits.gw' }), ev({ event: 'limits.gw' })], k.bearer);
    assert.equal(ok.status, 204, await ok.text());
    const refused = await post(
      url,
      Array.from({ length: 9 }, () => ev({ event: 'limits.gw' })),
      k.bearer,
    );
    assert.equal(refused.status, 429);
    assertRetryAfter(refused);
    assert.deepEqual(await refused.json(), { code: 'rate_limited', message: 'Rate limit exceeded' });
    assert.equal(await storedEvents(s, 'limits.gw', k.bearer), 2);
  });

  it('a gateway request is one request, whatever it calls in-process', async () => {
    const k = await makeKey(s, 'read', { rateLimitRequests: 4 });
    const rest = s.app.capabilities!.restUrls[0];
    // Counted at the gateway, not again when it calls the native API in-process (4 would be 2).
    const send = () =>
      post(`${rest}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs/filter`, {}, k.bearer);
    const { passed, refused } = await exhaust(send, 20);
    assert.ok(passed >= 4 && passed < 20, `${passed} gateway requests passed`);
    assert.equal(((await refused.json()) as { code: string }).code, 'rate_limited');
  });

  it('a websocket subscription is one request of its key: past the limit it closes 1013', async () => {
    const k = await makeKey(s, 'read', { rateLimitRequests: 1 });
    const first = await openSocket(wsUrl(api, '/logs/out'), { token: k.secret });
    const second = await openSocket(wsUrl(api, '/logs/out'), { auth: false });
    second.send({ type: 'auth', token: k.secret });
    const closed = await second.closed;
    assert.equal(closed.code, 1013);
    assert.match(closed.reason, /^Rate limit exceeded; retry after \d+ s$/);
    first.ws.close();
  });

  // Last: it leaves this address refused for a while.
  it('--auth-fail-limit failed authentications a minute per address, then 429 for the address', async () => {
    const bad = { authorization: `Bearer sl_${'B'.repeat(43)}` };
    const { passed, refused } = await exhaust(async () => {
      const r = await post(`${api}/logs/filter`, {}, bad);
      if (r.status === 401) return new Response(null, { status: 204 });
      return r;
    }, 20);
    assert.ok(passed >= 5 && passed < 20, `${passed} failures before 429`);
    assertRetryAfter(refused);
    assert.deepEqual(await refused.json(), { detail: 'Rate limit exceeded' });
    const key = await makeKey(s, 'read');
    assert.equal((await post(`${api}/logs/filter`, {}, key.bearer)).status, 429);
    const ws = new WebSocket(wsUrl(api, '/logs/out'), ['prefect']);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => {});
    });
    assert.equal(status, 429);
    await refilled(() => post(`${api}/logs/filter`, {}, key.bearer));
  });
});
