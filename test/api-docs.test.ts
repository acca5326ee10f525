/**
 * `/api/docs`: a renderer (Swagger UI) whose every file this server serves, nothing from another
 * host; it reads /api/openapi.json, whose operations carry their request schemas. Under --auth
 * the page and its files follow the rule of /api/openapi.json. Rendering in a browser is checked
 * by test/api-docs-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEngine } from './helpers/engines.ts';
import { makeKey } from './helpers/keys.ts';
import { startServer, type TestServer } from './helpers/server.ts';

/** Every URL the page names in a src or href attribute. */
function referenced(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

forEngine('sqlite', 'API docs page', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('loads only files this server serves, and its script reads /api/openapi.json', async () => {
    const page = await s.request('GET', '/api/docs');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.doesNotMatch(page.body, /https?:|\/\//, 'no other host, not even protocol-relative');
    const urls = referenced(page.body);
    assert.deepEqual(
      urls.filter((u) => !u.startsWith('/api/docs/')),
      [],
      'all under /api/docs/',
    );
    assert.ok(urls.some((u) => u.endsWith('.js')) && urls.some((u) => u.endsWith('.css')), urls.join(' '));
    for (const url of urls) {
      const r = await s.request('GET', url);
      assert.equal(r.statusCode, 200, url);
      const type = String(r.headers['content-type']);
      if (url.endsWith('.js')) assert.match(type, /^text\/javascript/, url);
      if (url.endsWith('.css')) assert.match(type, /^text\/css/, url);
      assert.ok(r.rawPayload.length > 0, url);
    }
    const init = await s.request('GET', '/api/docs/init.js');
    assert.match(init.body, /SwaggerUIBundle\(\{[\s\S]*url: '\/api\/openapi\.json'/);
    const bundle = await s.request('GET', '/api/docs/swagger-ui-bundle.js');
    assert.ok(bundle.rawPayload.length > 100_000, 'the renderer itself');
  });

  it('serves no other file of the package, nor anything outside it', async () => {
    for (const path of ['/api/docs/package.json', '/api/docs/index.html', '/api/docs/..%2F..%2Fpackage.json']) {
      const r = await s.request('GET', path);
      assert.equal(r.statusCode, 404, path);
      assert.deepEqual(JSON.parse(r.body), { detail: 'Not Found' }, path);
    }
  });

  it('the document it renders has request schemas for bodies and parameters, and response schemas', async () => {
    const doc = JSON.parse((await s.request('GET', '/api/openapi.json')).body);
    const filter = doc.paths['/api/flow_runs/filter'].post;
    const body = filter.requestBody.content['application/json'].schema;
    assert.equal(body.type, 'object');
    assert.ok(body.properties.flow_runs && body.properties.limit, Object.keys(body.properties).join(','));
    const logs = doc.paths['/api/flow_runs/{id}/logs'].get;
    assert.ok(logs.parameters.some((p: { in: string; schema: unknown }) => p.in === 'query' && p.schema));
    // …and response schemas, each shape once under components (test/response-schemas.test.ts checks them).
    assert.deepEqual(filter.responses['200'].content['application/json'].schema, {
      type: 'array',
      items: { $ref: '#/components/schemas/FlowRun' },
    });
    assert.equal(doc.components.schemas.FlowRun.properties.state.anyOf[0].$ref, '#/components/schemas/State');
    assert.equal(
      filter.responses['422'].content['application/json'].schema.anyOf[0].$ref,
      '#/components/schemas/OSSValidationError',
    );
  });
});

forEngine('sqlite', 'API docs page under --auth', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine, { auth: 'true' });
  });
  after(() => s.close());

  it('the page, its files and the document it reads need a key, any scope, alike', async () => {
    const read = await makeKey(s, 'read');
    for (const path of ['/api/openapi.json', '/api/docs', '/api/docs/init.js', '/api/docs/swagger-ui.css']) {
      assert.equal((await s.request('GET', path)).statusCode, 401, `${path} without a key`);
      assert.equal((await s.request('GET', path, undefined, read.bearer)).statusCode, 200, `${path} with one`);
    }
  });
});
