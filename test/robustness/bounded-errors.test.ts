/**
 * Issue 13, defect 1: no request can make validation unbounded. A body of millions of empty
 * objects is refused before it is built; smaller hostile bodies stop after 100 issues and say what
 * was not checked; no echoed input, location or request body is longer than a short prefix; every
 * error body stays under 64 KiB — on `/api`, the REST gateway, MCP and the `/events/in` socket.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Client } from '@modelcontextprotocol/client';
import { httpClient } from '../capabilities/harness.ts';
import { sendHttp } from '../fuzz/send.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

const KIB64 = 64 * 1024;
const MIB = 1024 * 1024;
const emptyObjects = (n: number) => `[${Array(n).fill('{}').join(',')}]`;

forEachEngine('validation is bounded on every surface', (engine) => {
  let s: TestServer;
  let api: string;
  let rest: string;
  let mcp: Client;
  before(async () => {
    s = await startServer(engine);
    api = await s.listen();
    rest = s.app.capabilities!.restUrls[0];
    mcp = await httpClient(s.app.capabilities!.mcpUrls[0], 'modern');
  });
  after(async () => {
    await mcp.close();
    await s.close();
  });

  it('refuses 16 MiB of empty objects with a small 422, before building them', async () => {
    const body = emptyObjects(Math.floor((16 * MIB - 2) / 3));
    const r = await s.request('POST', s.oss('/logs/'), body);
    assert.equal(r.statusCode, 422);
    assert.ok(r.body.length < KIB64, `${r.body.length} bytes`);
    assert.match(JSON.parse(r.body).exception_detail[0].msg, /more than 500000 JSON objects and arrays/);
    const c = await s.request('POST', s.cloud('/events'), body);
    assert.equal(c.statusCode, 422);
    assert.ok(c.body.length < KIB64);
  });

  it('stops after 100 issues and says how much was not checked', async () => {
    for (const [path, family] of [
      [s.oss('/logs/'), 'oss'],
      [s.cloud('/logs/'), 'cloud'],
      [s.oss('/events'), 'oss'],
    ] as const) {
      const r = await s.request('POST', path, emptyObjects(20_000));
      assert.equal(r.statusCode, 422, path);
      assert.ok(r.body.length < KIB64, `${path}: ${r.body.length} bytes`);
      const b = JSON.parse(r.body);
      const issues = family === 'oss' ? b.exception_detail : b.detail;
      assert.ok(issues.length <= 101, `${path}: ${issues.length} issues`);
      const last = issues.at(-1);
      assert.equal(last.type, 'too_many_errors', path);
      assert.match(
        last.msg,
        /^Validation stopped after 100 issues: .*\b\d{5} more (item|event)s of body not checked$/,
        path,
      );
      if (family === 'oss') assert.ok(b.request_body.length <= 2001, 'request_body is a short prefix');
    }
  });

  it('echoes at most a short prefix of any input, location or body', async () => {
    const huge = 'x'.repeat(MIB);
    const r = await s.request('POST', s.oss('/logs/'), [
      { name: 'n', level: huge, message: 'm', timestamp: huge, [huge]: 1 },
    ]);
    assert.equal(r.statusCode, 422);
    assert.ok(r.body.length < 8 * 1024, `${r.body.length} bytes`);
    const b = JSON.parse(r.body);
    for (const i of b.exception_detail) {
      assert.ok(JSON.stringify(i.input ?? null).length <= 210, JSON.stringify(i).slice(0, 300));
      for (const part of i.loc) assert.ok(String(part).length <= 101);
    }
    assert.equal(typeof b.request_body, 'string');
    assert.ok(b.request_body.endsWith('…') && b.request_body.length <= 2001);

    const f = await s.request('POST', s.oss('/logs/filter'), {
      [huge]: { [huge]: 1 },
      logs: { text: { query: huge } },
    });
    assert.equal(f.statusCode, 422);
    assert.ok(f.body.length < 8 * 1024, `${f.body.length} bytes`);
  });

  it('bounds the REST gateway and MCP answers to the same bodies', async () => {
    const path = `${rest}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs`;
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: emptyObjects(20_000),
    });
    const text = await r.text();
    assert.equal(r.status, 422);
    assert.ok(text.length < KIB64, `${text.length} bytes`);

    const bad = (await mcp.callTool({ name: 'create-logs', arguments: { body: Array(20_000).fill({}) } })) as {
      isError?: boolean;
      content: { text: string }[];
    };
    assert.equal(bad.isError, true);
    assert.ok(JSON.stringify(bad).length < 2 * KIB64, `${JSON.stringify(bad).length} chars`);
    assert.match(bad.content[0].text, /too_many_errors/);

    // 10,000 levels of nesting in a small MCP request: a JSON-RPC parse error, not a 500.
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read-logs","arguments":{"body":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`;
    const rpc = await fetch(s.app.capabilities!.mcpUrls[0], {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body: deep,
    });
    assert.equal(rpc.status, 400);
    assert.equal(((await rpc.json()) as { error: { code: number } }).error.code, -32700);

    const args = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${'k'.repeat(10_000)}${i}`, i]));
    const unknown = (await mcp
      .callTool({ name: 'read-logs', arguments: args })
      .catch((e: Error) => ({ isError: true, content: [{ text: e.message }] }))) as {
      isError?: boolean;
      content: { text: string }[];
    };
    assert.equal(unknown.isError, true);
    assert.ok(JSON.stringify(unknown).length < 2 * KIB64, `${JSON.stringify(unknown).length} chars`);
  });

  it('bounds the error frames of /events/in', async () => {
    const sock = await openSocket(wsUrl(api, '/events/in'));
    // About 1.5 MB: under any websocket message limit, over every bound of an error.
    const huge = 'y'.repeat(64 * 1024);
    sock.ws.send(
      JSON.stringify({
        id: huge,
        event: huge,
        occurred: huge,
        resource: { [huge]: 1 },
        related: Array(20).fill({ [huge]: 2 }),
      }),
    );
    await sock.until(() => sock.messages.length > 0, 60_000, 'the error frame');
    const m = sock.messages[0];
    assert.equal(m.type, 'error');
    assert.ok(JSON.stringify(m).length < KIB64, `${JSON.stringify(m).length} chars`);
    assert.ok(m.event_id.length <= 64);
    sock.ws.close();
  });
});

forEachEngine('request bodies the API does not read', (engine) => {
  let s: TestServer;
  let origin: string;
  before(async () => {
    s = await startServer(engine);
    origin = new URL(await s.listen()).origin;
  });
  after(() => s.close());

  it('never stall the connection they came on, and are not decompressed (as in Prefect)', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * MIB), { level: 9 });
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const get = await sendHttp(origin, 'GET', '/api/observed-loggers', headers, Buffer.alloc(900_000, 0x41));
    assert.equal(get.kind === 'http' && get.status, 200);
    const next = await sendHttp(origin, 'GET', '/api/health', {});
    assert.equal(next.kind === 'http' && next.status, 200, JSON.stringify(next));
    const post = await sendHttp(origin, 'POST', '/api/logs/', headers, bomb);
    assert.equal(post.kind === 'http' && post.status, 422);
    assert.match(post.kind === 'http' ? post.body.toString() : '', /not valid JSON/);
  });
});
