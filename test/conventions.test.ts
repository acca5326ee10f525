/** Prefect conventions every route follows: root routes, versions, redirects, compression, errors. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { forEachEngine } from './helpers/engines.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const json = (r: { body: string }) => JSON.parse(r.body);

forEachEngine('Prefect conventions', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine, { 'prefect-version': '3.9.0', 'max-body': '4194304' });
  });
  after(() => s.close());

  it('serves the root routes on both path families', async () => {
    for (const p of [s.oss, s.cloud]) {
      assert.equal(json(await s.request('GET', p('/health'))), true);
      assert.deepEqual(json(await s.request('GET', p('/ready'))), { message: 'OK' });
      assert.equal(json(await s.request('GET', p('/version'))), '0.8.4');
      assert.equal(json(await s.request('GET', p('/admin/version'))), '3.9.0');
      const csrf = await s.request('GET', p('/csrf-token?client=abc'));
      assert.deepEqual([csrf.statusCode, json(csrf)], [422, { detail: 'CSRF protection is disabled.' }]);
    }
  });

  it('enforces X-PREFECT-API-VERSION as Prefect does', async () => {
    const get = (v: string) => s.request('GET', s.oss('/health'), undefined, { 'x-prefect-api-version': v });
    assert.equal((await get('0.8.4')).statusCode, 200);
    const malformed = await get('latest');
    assert.equal(malformed.statusCode, 400);
    assert.match(json(malformed).detail, /Invalid X-PREFECT-API-VERSION header format/);
    const old = await get('0.7.9');
    assert.equal(old.statusCode, 400);
    assert.match(json(old).detail, /requires version 0\.8\.0 or higher/);
  });

  it('redirects the other trailing-slash spelling with 307, keeping the query', async () => {
    const r = await s.request('POST', s.oss('/logs'), []);
    assert.equal(r.statusCode, 307);
    assert.equal(r.headers.location, '/api/logs/');
    const q = await s.request('GET', `${s.cloud('/health/')}?x=1`);
    assert.equal(q.statusCode, 307);
    assert.equal(q.headers.location, `${s.cloud('/health')}?x=1`);
  });

  it('gzips responses when asked', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({
      name: 'gz',
      level: 20,
      message: `line ${i}`,
      timestamp: '2024-01-01T00:00:00Z',
    }));
    await s.request('POST', s.oss('/logs/'), batch);
    const r = await s.app.api.inject({
      method: 'POST',
      url: '/api/logs/filter',
      payload: {},
      headers: { 'accept-encoding': 'gzip', 'content-type': 'application/json' },
    });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(r.rawPayload).toString()).length, 50);
  });

  it('treats a body without a content type as JSON', async () => {
    const r = await s.app.api.inject({ method: 'POST', url: '/api/logs/filter', payload: '{"limit": 1}' });
    assert.equal(r.statusCode, 200);
  });

  it('answers 413 with a JSON body past --max-body, and takes 3 MB batches', async () => {
    const line = { name: 'big', level: 20, message: 'x'.repeat(1000), timestamp: '2024-01-01T00:00:00Z' };
    const three = Array.from({ length: 3000 }, () => line);
    assert.equal((await s.request('POST', s.oss('/logs/'), three)).statusCode, 201);
    const five = Array.from({ length: 5000 }, () => line);
    const r = await s.request('POST', s.oss('/logs/'), five);
    assert.equal(r.statusCode, 413);
    assert.equal(typeof json(r).detail, 'string');
  });

  it('publishes an OpenAPI document and a docs page', async () => {
    const doc = json(await s.request('GET', '/api/openapi.json'));
    assert.equal(doc.info.title, 'Sightline API');
    assert.ok(doc.paths['/api/logs/filter'].post);
    assert.ok(doc.paths['/api/accounts/{account_id}/workspaces/{workspace_id}/logs/filter'].post);
    const docs = await s.request('GET', '/api/docs');
    assert.equal(docs.statusCode, 200);
    assert.match(String(docs.headers['content-type']), /text\/html/);
  });

  it('has CORS off by default', async () => {
    const r = await s.request('GET', s.oss('/health'), undefined, { origin: 'http://example.test' });
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
});

forEachEngine('CORS when configured', (engine) => {
  it('allows the configured origin', async () => {
    const s = await startServer(engine, { 'cors-origin': 'http://ui.test' });
    try {
      const r = await s.request('GET', s.oss('/health'), undefined, { origin: 'http://ui.test' });
      assert.equal(r.headers['access-control-allow-origin'], 'http://ui.test');
    } finally {
      await s.close();
    }
  });
});
