/**
 * Gateway mode: one Sightline consumes another over HTTP with a bearer key (through a recording
 * proxy, to see the key), answering every tool and resource like the upstream's native API; a
 * down upstream gives 502; `sightline mcp --stdio` reaches a running Sightline through --api.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { engines, tempDir } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertSameAnswer, callNative, httpClient, type ToolAnswer } from './harness.ts';
import { type Seeded, seed, TOOL_TABLE } from './tool-table.ts';

const KEY = 'upstream-key-123';
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Forwards everything to `target`, remembering the Authorization headers it saw. */
function recordingProxy(target: string, seen: (string | undefined)[]): Server {
  const to = new URL(target);
  return createServer((req, res) => {
    seen.push(req.headers.authorization);
    const up = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: to.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
}

const listen = (s: Server) =>
  new Promise<string>((r) =>
    s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)),
  );

describe('gateway mode: Sightline consuming another Sightline', () => {
  let upstream: TestServer;
  let gateway: TestServer;
  let proxy: Server;
  let proxyUrl: string;
  let seeded: Seeded;
  const seen: (string | undefined)[] = [];

  before(async () => {
    upstream = await startServer(engines[0], { 'no-capabilities': 'true' });
    const apiUrl = await upstream.listen();
    seeded = await seed(upstream);
    proxy = recordingProxy(apiUrl, seen);
    proxyUrl = await listen(proxy);
    gateway = await startServer(engines[0], {
      upstream: `${proxyUrl}/api/accounts/${upstream.accountId}/workspaces/${upstream.workspaceId}`,
      'upstream-key': KEY,
    });
    await gateway.listen();
  });
  after(async () => {
    await gateway?.close();
    proxy?.closeAllConnections();
    await new Promise((r) => proxy?.close(r));
    await upstream?.close();
  });

  it('answers every tool like the upstream native API, sending the bearer key', async () => {
    const client = await httpClient(gateway.app.capabilities!.mcpUrls[0], 'modern');
    try {
      const ids = { a: upstream.accountId, w: upstream.workspaceId };
      for (const row of TOOL_TABLE) {
        const got = (await client.callTool({ name: row.tool, arguments: row.args(seeded, ids) })) as ToolAnswer;
        assertSameAnswer(row.tool, got, await callNative(upstream, row.native(seeded)), 'modern');
      }
      const { tools } = await client.listTools();
      assert.equal(
        tools.find((t) => t.name === 'read-logs')!.annotations?.openWorldHint,
        undefined,
        'an upstream is open-world',
      );
    } finally {
      await client.close();
    }
    assert.ok(seen.length >= TOOL_TABLE.length);
    assert.ok(seen.every((h) => h === `Bearer ${KEY}`));
  });

  it('serves REST through the upstream', async () => {
    const rest = gateway.app.capabilities!.restUrls[0];
    const path = `/api/accounts/${upstream.accountId}/workspaces/${upstream.workspaceId}/logs/filter`;
    const filter = { logs: { flow_run_id: { any_: [seeded.flowRunId] } } };
    const res = await fetch(`${rest}${path}`, {
      method: 'POST',
      body: JSON.stringify(filter),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), (await upstream.request('POST', path, filter)).json());
    const gatewayOwn = await gateway.request('POST', gateway.cloud('/logs/filter'), filter);
    assert.deepEqual(gatewayOwn.json(), [], 'the gateway’s own store is not what it serves');
  });

  it('finds the default workspace itself when the upstream URL names none', async () => {
    const other = await startServer(engines[0], { upstream: proxyUrl, 'upstream-key': KEY });
    await other.listen();
    const client = await httpClient(other.app.capabilities!.mcpUrls[0], 'modern');
    try {
      const body = { logs: { flow_run_id: { any_: [seeded.flowRunId] } }, limit: 2 };
      const got = (await client.callTool({ name: 'read-logs', arguments: { body } })) as ToolAnswer;
      assertSameAnswer(
        'read-logs',
        got,
        await callNative(upstream, { method: 'POST', path: '/logs/filter', body }),
        'modern',
      );
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('answers 502 and an isError result when the upstream is down', async () => {
    const closed = createServer();
    const url = await listen(closed);
    await new Promise((r) => closed.close(r));
    const down = await startServer(engines[0], {
      upstream: `${url}/api/accounts/${upstream.accountId}/workspaces/${upstream.workspaceId}`,
      'upstream-key': KEY,
    });
    await down.listen();
    const client = await httpClient(down.app.capabilities!.mcpUrls[0], 'legacy');
    try {
      const res = await fetch(
        `${down.app.capabilities!.restUrls[0]}/api/accounts/${upstream.accountId}/workspaces/${upstream.workspaceId}/logs/filter`,
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
      );
      assert.equal(res.status, 502);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'bad_gateway');
      assert.match(body.message, /is unreachable \(ECONNREFUSED\)/);
      assert.ok(!body.message.includes(KEY));
      const got = (await client.callTool({ name: 'read-logs', arguments: { body: {} } })) as ToolAnswer;
      assert.equal(got.isError, true);
      assert.match(got.content[0].text!, /unreachable/);
    } finally {
      await client.close();
      await down.close();
    }
  });

  it('serves the tools over stdio, through --api or in-process', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: tempDir() };
    for (const args of [
      [
        'mcp',
        '--stdio',
        '--api',
        `${upstream.app.apiUrl}/accounts/${upstream.accountId}/workspaces/${upstream.workspaceId}`,
      ],
      ['mcp', '--stdio', '--data-dir', tempDir()],
    ]) {
      const client = new Client({ name: 'stdio-test', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env, stderr: 'ignore' }),
      );
      try {
        const { tools } = await client.listTools();
        assert.equal(tools.length, 28 + 6, 'the seed tools and the agent tools');
        const body = { logs: { flow_run_id: { any_: [seeded.flowRunId] } }, limit: 3 };
        const got = (await client.callTool({ name: 'read-logs', arguments: { body } })) as ToolAnswer;
        if (args.includes('--api'))
          assertSameAnswer(
            'read-logs',
            got,
            await callNative(upstream, { method: 'POST', path: '/logs/filter', body }),
            'legacy',
          );
        else assert.deepEqual(got.structuredContent, { result: [] }, 'a fresh store in-process');
      } finally {
        await client.close();
      }
    }
  });
});
