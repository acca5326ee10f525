/**
 * The access matrix, generated from what the server documents (`/api/openapi.json`,
 * `/v1/openapi.json`, the websocket route table, MCP `tools/list`), so a new route joins it by
 * itself: without a key → 401 (1008 on websockets); a read key on a write → 403; a key of
 * workspace B on A's paths → exactly the answer of a random workspace id; a key of several
 * workspaces on open-source paths → 403.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { wsRoutes } from '../../src/api/routes/index.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { makeKey, type TestKey } from '../helpers/keys.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

const RANDOM = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const OPEN = new Set(['GET /api/health', 'GET /api/ready']);

interface Op {
  method: string;
  path: string;
  scope: string;
  params: Record<string, { format?: string; enum?: string[] }>;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Op[] {
  const out: Op[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const params: Op['params'] = {};
      for (const p of (op.parameters ?? []) as { in: string; name: string; schema?: Op['params'][string] }[])
        if (p.in === 'path') params[p.name] = p.schema ?? {};
      out.push({ method: method.toUpperCase(), path, scope: String(op['x-sightline-scope'] ?? ''), params });
    }
  return out;
}

/** The flow-run management API (`…/v1/…`) answers `{code, message}`; the rest of `/api`, `{detail}`. */
function refusal(path: string, code: 'unauthorized' | 'forbidden', message: string): unknown {
  return /^\/api\/(accounts\/\{account_id\}\/workspaces\/\{workspace_id\}\/)?v1\//.test(path)
    ? { code, message }
    : { detail: message };
}

/** A concrete URL of a documented path: the given account and workspace, random ids elsewhere. */
function urlOf(op: Op, accountId: string, workspaceId: string): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (name === 'account_id' || name === 'account-id') return accountId;
    if (name === 'workspace_id' || name === 'workspace-id') return workspaceId;
    const schema = op.params[name] ?? {};
    return schema.enum?.[0] ?? (schema.format === 'uuid' || !schema.enum ? RANDOM : 'x');
  });
}

forEachEngine('access matrix', (engine) => {
  let s: TestServer;
  let api: string;
  let b: string;
  let admin: TestKey;
  let read: TestKey;
  let bKey: TestKey;
  let several: TestKey;
  let native: Op[];
  before(async () => {
    // Every operation is tried without a key from one address: far past the default --auth-fail-limit.
    s = await startServer(engine, { auth: 'true', 'auth-fail-limit': '100000' });
    api = await s.listen();
    b = (
      await s.app.store.tenancy.createWorkspace({ accountId: s.accountId, name: 'B', handle: 'b', description: null })
    ).id;
    admin = await makeKey(s, 'admin');
    read = await makeKey(s, 'read');
    bKey = await makeKey(s, 'admin', { workspaces: [b] });
    several = await makeKey(s, 'admin', { workspaces: [s.workspaceId, b] });
    native = operations(JSON.parse((await s.request('GET', '/api/openapi.json', undefined, admin.bearer)).body));
    assert.ok(native.length > 100);
  });
  after(() => s.close());

  const call = (op: Op, url: string, headers: Record<string, string> = {}) =>
    s.request(op.method as 'GET', url, op.method === 'GET' || op.method === 'DELETE' ? undefined : {}, headers);

  it('native API: every operation but health and readiness needs a key', async () => {
    for (const op of native) {
      if (OPEN.has(`${op.method} ${op.path}`)) continue;
      const r = await call(op, urlOf(op, s.accountId, s.workspaceId));
      assert.equal(r.statusCode, 401, `${op.method} ${op.path}`);
      assert.deepEqual(JSON.parse(r.body), refusal(op.path, 'unauthorized', 'Unauthorized'), op.path);
    }
  });

  it('native API: a read key is refused every write and admin operation', async () => {
    let checked = 0;
    for (const op of native.filter((o) => o.scope !== 'read')) {
      const r = await call(op, urlOf(op, s.accountId, s.workspaceId), read.bearer);
      assert.equal(r.statusCode, 403, `${op.method} ${op.path}`);
      assert.deepEqual(
        JSON.parse(r.body),
        refusal(op.path, 'forbidden', `Forbidden: ${op.scope} scope required`),
        op.path,
      );
      checked++;
    }
    assert.ok(checked > 20, `${checked} write operations`);
  });

  it("native API: workspace B's key on A's paths answers as a random workspace id", async () => {
    let checked = 0;
    for (const op of native.filter((o) => o.path.includes('{workspace_id}'))) {
      const foreign = await call(op, urlOf(op, s.accountId, s.workspaceId), bKey.bearer);
      const random = await call(op, urlOf(op, s.accountId, RANDOM), bKey.bearer);
      assert.deepEqual([foreign.statusCode, foreign.body], [random.statusCode, random.body], `${op.method} ${op.path}`);
      checked++;
    }
    assert.ok(checked > 50);
  });

  it('native API: a key of several workspaces is refused the open-source paths', async () => {
    for (const op of native.filter((o) => !o.path.startsWith('/api/accounts/') && !o.path.startsWith('/api/me/'))) {
      if (OPEN.has(`${op.method} ${op.path}`)) continue;
      const r = await call(op, urlOf(op, s.accountId, s.workspaceId), several.bearer);
      assert.equal(r.statusCode, 403, `${op.method} ${op.path}`);
    }
  });

  it('websockets: every route closes 1008 without a key, on both path families', async () => {
    for (const route of wsRoutes)
      for (const prefix of ['', `/accounts/${s.accountId}/workspaces/${s.workspaceId}`]) {
        const sock = await openSocket(wsUrl(api, prefix + route.path), { auth: false });
        sock.send({ type: 'auth', token: null });
        assert.equal((await sock.closed).code, 1008, prefix + route.path);
      }
  });

  it('REST gateway: every documented operation needs a key', async () => {
    const rest = s.app.capabilities!.restUrls[0];
    const doc = (await (await fetch(`${rest}/openapi.json`, { headers: admin.bearer })).json()) as Parameters<
      typeof operations
    >[0];
    const ops = operations(doc);
    assert.ok(ops.length > 5);
    for (const op of ops) {
      const url = rest.replace(/\/v1$/, '') + urlOf(op, s.accountId, s.workspaceId);
      const r = await fetch(url, { method: op.method });
      assert.equal(r.status, 401, `${op.method} ${op.path}`);
      assert.equal(((await r.json()) as { code: string }).code, 'unauthorized');
    }
  });

  it('MCP: every listed tool needs a key', async () => {
    const mcp = s.app.capabilities!.mcpUrls[0];
    const rpc = (headers: Record<string, string>, payload: unknown) =>
      fetch(mcp, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify(payload),
      });
    const listed = await rpc(admin.bearer, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const text = await listed.text();
    const json = JSON.parse(text.startsWith('{') ? text : text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
    const tools = json.result.tools as { name: string }[];
    assert.ok(tools.length > 5);
    for (const t of tools) {
      const r = await rpc({}, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: t.name, arguments: {} } });
      assert.equal(r.status, 401, t.name);
    }
  });
});
