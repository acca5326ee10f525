/**
 * What every route of the native API declares and how the router answers around it: a scope on
 * every operation (HTTP and websocket, issue 15 enforces them), a 405 with `Allow` for a method a
 * known path does not serve (as FastAPI), and validation from the documented schemas.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { apiRoutes, fixedRoutes, wsRoutes } from '../src/api/routes/index.ts';
import { forEachEngine } from './helpers/engines.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const SCOPES = ['read', 'write', 'admin'];

it('every route and websocket of the table declares a scope', () => {
  for (const r of apiRoutes) assert.ok(SCOPES.includes(r.scope), `${r.method} ${r.path} has no scope`);
  for (const r of fixedRoutes) assert.ok(SCOPES.includes(r.scope), `${r.method} ${r.url} has no scope`);
  for (const r of wsRoutes) assert.ok(SCOPES.includes(r.scope), `websocket ${r.path} has no scope`);
});

forEachEngine('route table', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('documents a scope for every operation, admin only for workspace creation, DELETE /tags, retention and webhooks', async () => {
    const doc = JSON.parse((await s.request('GET', '/api/openapi.json')).body) as {
      paths: Record<string, Record<string, { 'x-sightline-scope'?: string }>>;
    };
    const admin: string[] = [];
    let count = 0;
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        count++;
        const scope = op['x-sightline-scope'];
        assert.ok(scope && SCOPES.includes(scope), `${method} ${path}: scope ${scope}`);
        if (scope === 'admin') admin.push(`${method.toUpperCase()} ${path}`);
      }
    assert.ok(count > 100, `only ${count} operations documented`);
    assert.deepEqual(
      admin.sort(),
      [
        'DELETE /api/accounts/{account_id}/workspaces/{workspace_id}/tags',
        'DELETE /api/tags',
        'GET /api/accounts/{account_id}/workspaces/{workspace_id}/admin/retention',
        'GET /api/admin/retention',
        'POST /api/accounts/{account_id}/workspaces/',
        ...['/api/accounts/{account_id}/workspaces/{workspace_id}', '/api'].flatMap((p) => [
          `DELETE ${p}/sightline/webhooks/{id}`,
          `GET ${p}/sightline/webhooks`,
          `GET ${p}/sightline/webhooks/{id}/deliveries`,
          `POST ${p}/sightline/webhooks`,
        ]),
      ].sort(),
    );
    assert.equal(doc.paths['/api/logs/filter'].post['x-sightline-scope'], 'read');
    assert.equal(doc.paths['/api/logs/'].post['x-sightline-scope'], 'write');
  });

  it('answers 405 with Allow for a method a known path does not serve, on both families', async () => {
    for (const p of [s.oss, s.cloud]) {
      const r = await s.request('GET', p('/logs/'));
      assert.equal(r.statusCode, 405);
      assert.equal(r.headers.allow, 'POST');
      assert.deepEqual(JSON.parse(r.body), { detail: 'Method Not Allowed' });
      const run = await s.request('PUT', p('/flow_runs/01a20588-0000-7000-8000-000000000000'), {});
      assert.equal(run.statusCode, 405);
      assert.equal(run.headers.allow, 'DELETE, GET, PATCH');
    }
    const fixed = await s.request('DELETE', '/api/me/workspaces');
    assert.equal(fixed.statusCode, 405);
    assert.equal(fixed.headers.allow, 'GET');
    // A path parameter that is not a UUID matches no route: still 404.
    assert.equal((await s.request('PUT', s.oss('/flow_runs/not-a-uuid'), {})).statusCode, 404);
  });

  it('validates path, query and body from the declared schemas before the handler runs', async () => {
    const count = await s.request('POST', s.oss('/events/count-by/weekday'), { filter: {} });
    assert.equal(count.statusCode, 422);
    assert.deepEqual(JSON.parse(count.body).exception_detail[0].loc, ['path', 'countable']);
    const states = await s.request('GET', s.cloud('/flow_run_states/?flow_run_id=nope'));
    assert.equal(states.statusCode, 422);
    assert.deepEqual(JSON.parse(states.body).detail[0].loc, ['query', 'flow_run_id']);
    const next = await s.request('GET', s.oss('/events/filter/next'));
    assert.equal(next.statusCode, 422);
    assert.deepEqual(JSON.parse(next.body).exception_detail[0].loc, ['query', 'page-token']);
  });
});
