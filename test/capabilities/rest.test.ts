/**
 * The REST gateway started from the three seed files: every resource compared with the native
 * Cloud-path answer (status, body, Content-Type, ETag) and with a body its OpenAPI document
 * declares for that status, 405 with Allow, gateway errors as JSON, and the OpenAPI document
 * derived from the files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engines } from '../helpers/engines.ts';
import { documentShapeErrors } from '../helpers/openapi-shape.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { callNative } from './harness.ts';
import { nativeUrl, restPath, type Seeded, seed, TOOL_TABLE } from './tool-table.ts';

describe('REST gateway (seed capabilities, local API)', () => {
  let server: TestServer;
  let seeded: Seeded;
  let rest: string;

  before(async () => {
    server = await startServer(engines[0]);
    await server.listen();
    seeded = await seed(server);
    [rest] = server.app.capabilities!.restUrls;
    rest = rest.replace(/\/v1$/, '');
  });
  after(() => server.close());

  it('answers every resource like the native API, as its OpenAPI document declares', async () => {
    const doc = (await (await fetch(`${rest}/v1/openapi.json`)).json()) as any;
    const seen = new Set<string>();
    for (const row of TOOL_TABLE) {
      const req = row.native(seeded);
      const path = restPath(nativeUrl(server, req));
      const key = `${req.method} ${path.split('?')[0]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const res = await fetch(rest + path, {
        method: req.method,
        headers: { ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
      const body = await res.text();
      const native = await callNative(server, req);
      assert.equal(res.status, native.status, `${key}: ${body}`);
      if (!req.method.startsWith('POST') || native.status >= 300) assert.equal(body, native.body, `${key}: body`);
      assert.equal(
        res.headers.get('content-type') ?? undefined,
        native.headers['content-type'],
        `${key}: content-type`,
      );
      assert.equal(res.headers.get('etag') ?? undefined, native.headers.etag, `${key}: etag`);
      const template = Object.keys(doc.paths).find((p) =>
        new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]),
      );
      const declared = template && doc.paths[template][req.method.toLowerCase()]?.responses[String(res.status)];
      assert.ok(declared, `${key}: ${res.status} is not documented`);
      const schema = declared.content?.['application/json']?.schema;
      if (schema) assert.deepEqual(documentShapeErrors(doc, JSON.parse(body), schema), [], `${key}: ${body}`);
      else if (!declared.content) assert.equal(body, '', `${key}: documents no body`);
      if (!row.pending) assert.ok(native.status < 400, `${row.tool}: native answers ${native.status}`);
    }
    assert.equal(seen.size, 27, 'the 28 REST operations cover 27 method+path pairs');
  });

  it('reads the same logs through /v1 as through the native API', async () => {
    const path = `/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/logs/filter`;
    const filter = { logs: { flow_run_id: { any_: [seeded.flowRunId] } }, sort: 'TIMESTAMP_ASC' };
    const res = await fetch(`${rest}/v1${path}`, {
      method: 'POST',
      body: JSON.stringify(filter),
      headers: { 'content-type': 'application/json' },
    });
    const native = await server.request('POST', path, filter);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), native.json());
    assert.ok(native.json().length >= 6);
  });

  it('reads each input only where the OpenAPI document says it is', async () => {
    const ws = `/v1/api/accounts/${server.accountId}/workspaces/${server.workspaceId}`;
    const tags = async (): Promise<any> => (await server.request('GET', server.cloud('/tags'))).json();
    const before = await tags();
    assert.ok(before.results.length > 0, 'the seed has tags');
    // A header named like the query input deletes nothing (the tag is a query parameter).
    const name = before.results[0].name;
    const del = await fetch(`${rest}${ws}/tags`, { method: 'DELETE', headers: { tag: name } });
    assert.equal(del.status, 400, 'the tag is missing from the query');
    assert.match(((await del.json()) as any).message, /'tag' is required/);
    assert.deepEqual(await tags(), before);
    // A header named like a query input does not set it.
    const listed = await fetch(`${rest}${ws}/tags`, { headers: { limit: '1' } });
    assert.equal(((await listed.json()) as any).results.length, before.results.length);
    // ?body= does not replace the request body.
    const filter = { logs: { flow_run_id: { any_: [seeded.flowRunId] } }, limit: 2 };
    const res = await fetch(`${rest}${ws}/logs/filter?body=${encodeURIComponent('{}')}`, {
      method: 'POST',
      body: JSON.stringify(filter),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(((await res.json()) as unknown[]).length, 2);
  });

  it('passes native validation errors through unchanged', async () => {
    const path = `/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/logs/`;
    for (const payload of ['{"not": "a list"}', '{not json']) {
      const res = await fetch(`${rest}/v1${path.slice(0, -1)}`, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json' },
      });
      const native = await server.request('POST', path, payload);
      assert.equal(res.status, native.statusCode);
      assert.equal(await res.text(), native.body);
    }
    const version = await fetch(`${rest}/v1${path.slice(0, -1)}`, {
      method: 'POST',
      body: '[]',
      headers: { 'content-type': 'application/json', 'x-prefect-api-version': '0.1.0' },
    });
    assert.equal(version.status, 400);
    assert.match(await version.text(), /requires version 0\.8\.0/);
  });

  it('answers 405 with Allow for a method no operation declares', async () => {
    const res = await fetch(`${rest}/v1/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/logs/filter`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.deepEqual(await res.json(), {
      code: 'method_not_allowed',
      message: 'GET is not allowed here; allowed: POST',
    });
    const tags = await fetch(`${rest}/v1/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/tags`, {
      method: 'PUT',
    });
    assert.equal(tags.status, 405);
    assert.equal(tags.headers.get('allow'), 'GET, DELETE');
  });

  it('reports its own errors as JSON with a stable code', async () => {
    const missing = await fetch(`${rest}/v1/api/accounts/${server.accountId}/workspaces/${server.workspaceId}/logs`, {
      method: 'POST',
    });
    assert.equal(missing.status, 400);
    const body = (await missing.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_input');
    assert.match(body.message, /'body' is required/);
    const unknown = await fetch(`${rest}/v1/nothing/here`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'route_not_found');
  });

  it('serves an OpenAPI document derived from the files', async () => {
    const doc = (await (await fetch(`${rest}/v1/openapi.json`)).json()) as any;
    assert.equal(doc.openapi, '3.1.0');
    const ops = Object.values(doc.paths as Record<string, Record<string, unknown>>).flatMap((p) => Object.keys(p));
    assert.equal(ops.length, 27);
    const logs = doc.paths['/v1/api/accounts/{account-id}/workspaces/{workspace-id}/flow-runs/{id}/logs'].get;
    const levelGe = logs.parameters.find((p: { name: string }) => p.name === 'level_ge');
    assert.deepEqual(levelGe, {
      name: 'level_ge',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 0 },
      description: 'Only logs at this level or above (10 debug, 20 info, 30 warning, 40 error, 50 critical).',
    });
    assert.ok(
      logs.parameters.some((p: { name: string; in: string }) => p.name === 'if-none-match' && p.in === 'header'),
    );
    assert.ok(
      logs.parameters.some(
        (p: { name: string; in: string; required: boolean }) =>
          p.name === 'account-id' && p.in === 'path' && p.required,
      ),
    );
    const create = doc.paths['/v1/api/accounts/{account-id}/workspaces/{workspace-id}/logs'].post;
    assert.equal(create.requestBody.content['application/json'].schema.type, 'array');
    // Answers are the native operation's, named schemas listed once.
    assert.deepEqual(logs.responses['200'].content['application/json'].schema, {
      type: 'array',
      items: { $ref: '#/components/schemas/Log' },
    });
    assert.equal(doc.components.schemas.Log.properties.level.type, 'integer');
    assert.deepEqual(Object.keys(logs.responses['404'].content), ['application/json']);
    assert.equal(logs.responses['502'].content['application/json'].schema.$ref, '#/components/schemas/CodedError');
  });

  it('names every operation with a unique, readable operationId of at most 40 characters, from its description', async () => {
    const doc = (await (await fetch(`${rest}/v1/openapi.json`)).json()) as any;
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) =>
      Object.values(p).map((op) => op.operationId),
    );
    assert.equal(new Set(ids).size, ids.length, `repeated: ${ids}`);
    for (const id of ids) assert.match(id, /^[a-z][A-Za-z0-9]{0,39}$/);
    // The ids are a contract of generated clients: a change here is a change to announce.
    assert.deepEqual(ids.sort(), [
      'countAccountEvents',
      'countWorkspaceEvents',
      'createAccountEvents',
      'createLogs',
      'createWorkspaceEvents',
      'deleteWorkspaceTag',
      'downloadFlowRunLogs',
      'downloadFlowRunLogs2',
      'getEventsForFlowRun',
      'getFlowRunLogs',
      'listTags',
      'lookupSpanByRunId',
      'readAccountEvents',
      'readAccountEventsPage',
      'readLogs',
      'readSingleSpan',
      'readSpanContext',
      'readSpanObservedTags',
      'readSpans',
      'readSpansByIds',
      'readTraceObservedLoggers',
      'readTraceObservedStates',
      'readTraceObservedTags',
      'readWorkspaceEvents',
      'readWorkspaceEventsPage',
      'readWorkspaceObservedLoggers',
      'readWorkspaceObservedStates',
    ]);
  });
});
