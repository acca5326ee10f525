/**
 * `--auth` on every surface, both engines: credentials, the 401/403 answers of each surface,
 * tenancy (another workspace answers as a random id), revocation and expiry, websockets.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { nowMicros } from '../../src/domain/time.ts';
import { run } from '../helpers/cli.ts';
import { engines, forEachEngine, forEngine } from '../helpers/engines.ts';
import { makeKey, type TestKey } from '../helpers/keys.ts';
import { startServer, startWithConfig, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

const RANDOM = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';

forEachEngine('--auth', (engine) => {
  let s: TestServer;
  let api: string;
  let otherWs: string;
  let read: TestKey;
  let write: TestKey;
  let wsOnly: TestKey;
  let twoWs: TestKey;
  before(async () => {
    s = await startServer(engine, { auth: 'true' });
    api = await s.listen();
    otherWs = (
      await s.app.store.tenancy.createWorkspace({
        accountId: s.accountId,
        name: 'B',
        handle: 'b',
        description: null,
      })
    ).id;
    read = await makeKey(s, 'read');
    write = await makeKey(s, 'write');
    wsOnly = await makeKey(s, 'write', { workspaces: [otherWs] });
    twoWs = await makeKey(s, 'read', { workspaces: [s.workspaceId, otherWs] });
  });
  after(() => s.close());

  const body = (r: { body: string }) => JSON.parse(r.body);

  it('answers 401 with WWW-Authenticate without a valid key, except health and readiness', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer sl_${'A'.repeat(43)}` },
    ];
    for (const headers of attempts) {
      const r = await s.request('POST', s.oss('/logs/filter'), {}, headers);
      assert.equal(r.statusCode, 401);
      assert.deepEqual(body(r), { detail: 'Unauthorized' });
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
    assert.equal((await s.request('GET', s.oss('/health'))).statusCode, 200);
    assert.equal((await s.request('GET', s.oss('/ready'))).statusCode, 200);
    assert.equal((await s.request('GET', s.oss('/nowhere'))).statusCode, 401);
  });

  it('takes the key as Bearer, bare, or as the Basic password', async () => {
    const basic = `Basic ${Buffer.from(`sightline:${read.secret}`).toString('base64')}`;
    for (const authorization of [`Bearer ${read.secret}`, read.secret, basic]) {
      const r = await s.request('POST', s.oss('/logs/filter'), {}, { authorization });
      assert.equal(r.statusCode, 200, authorization.slice(0, 6));
    }
  });

  it('enforces the declared scope: 403 naming it', async () => {
    const log = [{ name: 'x', level: 20, message: 'hi', timestamp: new Date().toISOString(), flow_run_id: null }];
    const r = await s.request('POST', s.oss('/logs/'), log, read.bearer);
    assert.equal(r.statusCode, 403);
    assert.deepEqual(body(r), { detail: 'Forbidden: write scope required' });
    assert.equal((await s.request('POST', s.oss('/logs/'), log, write.bearer)).statusCode, 201);
    const tags = await s.request('DELETE', s.oss('/tags'), undefined, write.bearer);
    assert.deepEqual([tags.statusCode, body(tags)], [403, { detail: 'Forbidden: admin scope required' }]);
  });

  it("answers another workspace's paths exactly as a random workspace id's", async () => {
    const random = await s.request('POST', s.cloud('/logs/filter', RANDOM), {}, wsOnly.bearer);
    const foreign = await s.request('POST', s.cloud('/logs/filter', s.workspaceId), {}, wsOnly.bearer);
    assert.equal(random.statusCode, 404);
    assert.deepEqual([foreign.statusCode, foreign.body], [random.statusCode, random.body]);
    assert.equal((await s.request('POST', s.cloud('/logs/filter', otherWs), {}, wsOnly.bearer)).statusCode, 200);
    // Another account answers as a random one, for account-scope routes too.
    const acct = await s.request('POST', `/api/accounts/${RANDOM}/events/filter`, {}, read.bearer);
    assert.equal(acct.statusCode, 404);
    const mine = await s.request('POST', `/api/accounts/${s.accountId}/events/filter`, {}, wsOnly.bearer);
    assert.equal(mine.statusCode, 403, 'account-scope routes need an account-wide key');
    assert.equal(
      (await s.request('POST', `/api/accounts/${s.accountId}/events/filter`, {}, read.bearer)).statusCode,
      200,
    );
  });

  it('maps open-source paths to the key’s one workspace; several → 403 naming the Cloud paths', async () => {
    await s.request(
      'POST',
      s.oss('/logs/'),
      [{ name: 'b', level: 20, message: 'in B', timestamp: new Date().toISOString(), flow_run_id: null }],
      wsOnly.bearer,
    );
    const inB = body(await s.request('POST', s.cloud('/logs/filter', otherWs), {}, wsOnly.bearer));
    assert.ok(inB.some((l: { message: string }) => l.message === 'in B'));
    const several = await s.request('POST', s.oss('/logs/filter'), {}, twoWs.bearer);
    assert.equal(several.statusCode, 403);
    assert.match(body(several).detail, /Cloud paths \/api\/accounts\/\{account_id\}\/workspaces/);
  });

  it('lists only the key’s workspaces at /api/me/workspaces', async () => {
    const ids = (k: TestKey) =>
      s
        .request('GET', '/api/me/workspaces', undefined, k.bearer)
        .then((r) => body(r).map((w: { workspace_id: string }) => w.workspace_id));
    assert.deepEqual(await ids(wsOnly), [otherWs]);
    assert.deepEqual((await ids(read)).sort(), [s.workspaceId, otherWs].sort());
  });

  it('refuses a revoked key within 5 s and an expired one at once', async () => {
    const k = await makeKey(s, 'read');
    assert.equal((await s.request('POST', s.oss('/logs/filter'), {}, k.bearer)).statusCode, 200);
    const revokedAt = Date.now();
    await s.app.store.keys.revoke(k.id, nowMicros());
    for (;;) {
      const r = await s.request('POST', s.oss('/logs/filter'), {}, k.bearer);
      if (r.statusCode === 401) break;
      assert.ok(Date.now() - revokedAt < 5500, 'the revoked key still works after 5 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const soon = await makeKey(s, 'read', { expires: nowMicros() + 300_000 });
    for (;;) {
      const r = await s.request('POST', s.oss('/logs/filter'), {}, soon.bearer);
      if (r.statusCode === 401) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('records last_used, at most once a minute', async () => {
    const k = await makeKey(s, 'read');
    await s.request('POST', s.oss('/logs/filter'), {}, k.bearer);
    let used: number | null = null;
    for (let i = 0; i < 500 && used === null; i++) {
      used = (await s.app.store.keys.list()).find((x) => x.id === k.id)!.lastUsed;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(used);
    await s.request('POST', s.oss('/logs/filter'), {}, k.bearer);
    assert.equal((await s.app.store.keys.list()).find((x) => x.id === k.id)!.lastUsed, used);
  });

  it('websockets: 1008 without a key (saying what to set), the auth string or the upgrade header work', async () => {
    const missing = await openSocket(wsUrl(api, '/logs/out'), { auth: false });
    missing.send({ type: 'auth', token: null });
    const closed = await missing.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /PREFECT_API_AUTH_STRING=sightline:<key>/);

    const bad = await openSocket(wsUrl(api, '/logs/out'), { auth: false });
    bad.send({ type: 'auth', token: 'sightline:sl_nope' });
    assert.deepEqual(await bad.closed, { code: 1008, reason: 'Unauthorized' });

    const ok = await openSocket(wsUrl(api, '/events/in'), { token: `sightline:${write.secret}` });
    ok.ws.close();
    const raw = await openSocket(wsUrl(api, '/logs/out'), { token: read.secret });
    raw.ws.close();
    const header = await openSocket(wsUrl(api, '/logs/out'), { headers: read.bearer });
    header.ws.close();

    const scope = await openSocket(wsUrl(api, '/events/in'), { auth: false });
    scope.send({ type: 'auth', token: read.secret });
    assert.deepEqual(await scope.closed, { code: 1008, reason: 'Forbidden: write scope required' });

    const foreign = await openSocket(wsUrl(api, s.cloud('/logs/out', s.workspaceId).slice(4)), { auth: false });
    foreign.send({ type: 'auth', token: wsOnly.secret });
    const random = await openSocket(wsUrl(api, s.cloud('/logs/out', RANDOM).slice(4)), { auth: false });
    random.send({ type: 'auth', token: wsOnly.secret });
    assert.deepEqual(await foreign.closed, await random.closed);

    const legacy = await openSocket(wsUrl(api, '/logs/out'), { subprotocol: false });
    assert.equal((await legacy.closed).code, 1008);
  });

  it('REST gateway: 401 and 403 in its shape; it reaches only what the key reaches', async () => {
    const rest = s.app.capabilities!.restUrls[0];
    const path = `${rest}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs/filter`;
    const none = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await none.json(), { code: 'unauthorized', message: 'Unauthorized' });
    const ok = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...read.bearer },
      body: '{}',
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    const foreign = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...wsOnly.bearer },
      body: '{}',
    });
    const random = await fetch(path.replace(s.workspaceId, RANDOM), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...wsOnly.bearer },
      body: '{}',
    });
    assert.deepEqual([foreign.status, await foreign.text()], [random.status, await random.text()]);
  });

  it('client commands send --api-key, else SIGHTLINE_API_KEY, else PREFECT_API_KEY', async () => {
    const env = { SIGHTLINE_API_URL: '', PREFECT_API_URL: '', SIGHTLINE_API_KEY: '', PREFECT_API_KEY: '' };
    const none = await run(['runs', '--api', api], env);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /401/);
    for (const [args, extra] of [
      [['--api-key', read.secret], {}],
      [[], { SIGHTLINE_API_KEY: read.secret }],
      [[], { PREFECT_API_KEY: read.secret }],
    ] as const) {
      const r = await run(['runs', '--api', api, ...args], { ...env, ...extra });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('MCP: 401 before JSON-RPC without a key; tool calls carry the key', async () => {
    const mcp = s.app.capabilities!.mcpUrls[0];
    const rpc = (headers: Record<string, string>, payload: unknown) =>
      fetch(mcp, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify(payload),
      });
    const none = await rpc({}, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const listed = await rpc(read.bearer, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(listed.status, 200);
  });
});

forEngine('postgres', 'two instances under --auth', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startServer(engines.find((e) => e.name === 'postgres')!, { auth: 'true' });
    b = await startWithConfig(a.config);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('share keys, and a revocation holds on both within 5 s', async () => {
    const k = await makeKey(a, 'read');
    for (const s of [a, b])
      assert.equal((await s.request('POST', s.oss('/logs/filter'), {}, k.bearer)).statusCode, 200);
    const revokedAt = Date.now();
    await a.app.store.keys.revoke(k.id, nowMicros());
    for (const s of [a, b])
      for (;;) {
        if ((await s.request('POST', s.oss('/logs/filter'), {}, k.bearer)).statusCode === 401) break;
        assert.ok(Date.now() - revokedAt < 5500, 'a revoked key still works after 5 s');
        await new Promise((r) => setTimeout(r, 50));
      }
  });
});
