/**
 * A capability file of our own (fixtures/things.yaml) against a local test HTTP server: the
 * engine is not Prefect-specific. Covers bearer credentials from a bind file, repeated query
 * keys, static header values, ETag/304, CSV pass-through and truncation, Retry-After, timeouts,
 * and that the credential never shows in errors.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { engines, tempDir } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { httpClient, type ToolAnswer } from './harness.ts';

const TOKEN = 's3cret-token-value';
const CSV = `id,name\n${Array.from({ length: 1000 }, (_, i) => `${i},thing number ${i}`).join('\n')}\n`;

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

function thingsApi(seen: Seen[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/slow') return; // never answers
      if (url.pathname === '/busy') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
        return res.end('{"detail":"slow down"}');
      }
      if (url.pathname.endsWith('/export')) {
        res.writeHead(200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="things.csv"',
        });
        return res.end(CSV);
      }
      if (req.method === 'POST' && url.pathname === '/things') {
        res.writeHead(201, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ created: JSON.parse(body) }));
      }
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
      res.end(
        JSON.stringify({
          id: decodeURIComponent(url.pathname.split('/')[2]),
          tags: url.searchParams.getAll('tags'),
          limit: url.searchParams.get('limit'),
        }),
      );
    });
  });
}

describe('a capability file of our own, against a local HTTP API', () => {
  const seen: Seen[] = [];
  let api: Server;
  let server: TestServer;
  let rest: string;
  let client: Client;

  before(async () => {
    api = thingsApi(seen);
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const dir = tempDir();
    const yaml = readFileSync(new URL('./fixtures/things.yaml', import.meta.url), 'utf8').replaceAll(
      '__BASE__',
      `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    );
    writeFileSync(join(dir, 'things.yaml'), yaml);
    writeFileSync(join(dir, 'things-secrets.yaml'), `token: ${TOKEN}\n`);
    server = await startServer(engines[0], {
      capabilities: join(dir, 'things.yaml'),
      'mcp-max-chars': '5000',
      'upstream-timeout-ms': '300',
    });
    await server.listen();
    rest = server.app.capabilities!.restUrls[0].replace(/\/v1$/, '');
    client = await httpClient(server.app.capabilities!.mcpUrls[0], 'modern');
  });
  after(async () => {
    await client?.close();
    await server?.close();
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
  });

  it('maps path, repeated query keys, headers and the bearer credential', async () => {
    const res = await fetch(`${rest}/v1/things/a%2Fb?tags=x&tags=y&limit=3`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), '"v1"');
    assert.deepEqual(await res.json(), { id: 'a/b', tags: ['x', 'y'], limit: '3' });
    const last = seen.at(-1)!;
    assert.equal(last.url, '/things/a%2Fb?tags=x&tags=y&limit=3');
    assert.equal(last.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(last.headers['x-api-version'], '2');
  });

  it('keeps a 304 a 304 with an empty body', async () => {
    const res = await fetch(`${rest}/v1/things/a`, { headers: { 'if-none-match': '"v1"' } });
    assert.equal(res.status, 304);
    assert.equal(res.headers.get('etag'), '"v1"');
    assert.equal(await res.text(), '');
    const tool = (await client.callTool({
      name: 'get-thing',
      arguments: { id: 'a', 'if-none-match': '"v1"' },
    })) as ToolAnswer;
    assert.notEqual(tool.isError, true);
    assert.deepEqual(tool.structuredContent, { not_modified: true, etag: '"v1"' });
  });

  it('passes CSV through on REST, and cuts it at a line on MCP', async () => {
    const res = await fetch(`${rest}/v1/things/7/export`);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="things.csv"');
    assert.equal(await res.text(), CSV);
    const tool = (await client.callTool({ name: 'export-thing', arguments: { id: '7' } })) as ToolAnswer;
    const text = tool.content[0].text!;
    assert.ok(text.length <= 5000, `length ${text.length}`);
    const [kept, note] = [text.slice(0, text.lastIndexOf('\n') + 1), text.slice(text.lastIndexOf('\n') + 1)];
    assert.ok(CSV.startsWith(kept), 'cut at a whole line');
    assert.match(note, /^\[truncated at 5000 characters\]$/);
    assert.equal((tool.structuredContent as { truncated: boolean }).truncated, true);
  });

  it('sends a JSON body and passes the status back', async () => {
    const res = await fetch(`${rest}/v1/things`, {
      method: 'POST',
      body: '{"name":"n"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { created: { name: 'n' } });
    const tool = (await client.callTool({ name: 'create-thing', arguments: { body: { name: 'm' } } })) as ToolAnswer;
    assert.deepEqual(tool.structuredContent, { created: { name: 'm' } });
    assert.equal(seen.at(-1)!.headers['content-type'], 'application/json');
  });

  it('passes Retry-After back with the upstream status', async () => {
    const res = await fetch(`${rest}/v1/busy`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.deepEqual(await res.json(), { detail: 'slow down' });
  });

  it('answers 504 when the upstream does not answer in time, without the credential', async () => {
    const res = await fetch(`${rest}/v1/slow`);
    assert.equal(res.status, 504);
    const body = (await res.json()) as { code: string };
    assert.equal(body.code, 'gateway_timeout');
    assert.ok(!JSON.stringify(body).includes(TOKEN));
    const tool = (await client.callTool({ name: 'slow-thing', arguments: {} })) as ToolAnswer;
    assert.equal(tool.isError, true);
    assert.match(tool.content[0].text!, /did not answer within 300 ms/);
    assert.ok(!tool.content[0].text!.includes(TOKEN));
  });

  it('lists the tools with their declared hints and labels next to the seed tools', async () => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 32 + 6, 'the seed tools, these four and the agent tools');
    const get = tools.find((t) => t.name === 'get-thing')!;
    assert.deepEqual(get.annotations, { title: 'Get a thing', readOnlyHint: true, openWorldHint: true });
    assert.deepEqual(get.inputSchema.required, ['id']);
    assert.equal((get.inputSchema.properties as Record<string, { type: string }>).tags.type, 'array');
    assert.deepEqual(tools.find((t) => t.name === 'export-thing')!.annotations, {});
    assert.ok(!server.app.capabilities!.bound.summary.join('\n').includes(TOKEN));
  });
});
