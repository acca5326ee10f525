/**
 * Issue 13, defect 11: a path argument of the REST gateway or an MCP tool is checked against its
 * declared type (UUID for Cloud ids) before any URL is built, so `..` can never make a call address
 * another route — locally, and with `--upstream`, where the server's own credential is sent.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { uuid4 } from '../../src/domain/ids.ts';
import { httpClient } from '../capabilities/harness.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** GET with the path sent byte for byte (no URL normalisation of `..` or `%2E%2E`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

type ToolResult = { isError?: boolean; content: { text: string }[] };
const tryTool = (mcp: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> =>
  (mcp.callTool({ name, arguments: args }) as Promise<ToolResult>).catch((e: Error) => ({
    isError: true,
    content: [{ text: e.message }],
  }));

const HOSTILE = ['..', '.', '../..', '%2e%2e', 'a/b', ''];

forEachEngine('gateway path arguments are checked by type before a URL is built', (engine) => {
  describe('local API', () => {
    let s: TestServer;
    let rest: string;
    let mcp: Client;
    before(async () => {
      s = await startServer(engine);
      await s.listen();
      rest = s.app.capabilities!.restUrls[0];
      mcp = await httpClient(s.app.capabilities!.mcpUrls[0], 'modern');
    });
    after(async () => {
      await mcp.close();
      await s.close();
    });

    it('refuses non-UUID account, workspace and run ids in MCP arguments', async () => {
      for (const bad of HOSTILE) {
        for (const args of [{ account_id: bad, id: uuid4() }, { workspace_id: bad, id: uuid4() }, { id: bad }]) {
          const r = await tryTool(mcp, 'get-flow-run-logs', args);
          assert.equal(r.isError, true, `${JSON.stringify(args)}: ${r.content[0].text}`);
          assert.match(r.content[0].text, /UUID|must not be|required/, JSON.stringify(args));
        }
      }
    });

    it('refuses them in REST paths with 400 naming the variable', async () => {
      for (const bad of ['..', '.', '%2E%2E', '%2e%2e%2f%2e%2e', 'not-a-uuid']) {
        const r = await rawGet(rest, `/v1/api/accounts/${bad}/workspaces/${s.workspaceId}/flow-runs/${uuid4()}/logs`);
        assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status} ${r.body}`);
        if (r.status === 400) assert.match(r.body, /account-id|account_id/, r.body);
      }
    });
  });

  describe('with --upstream', () => {
    let upstream: Server;
    const seen: string[] = [];
    let s: TestServer;
    let rest: string;
    let mcp: Client;
    const account = uuid4();
    const workspace = uuid4();
    before(async () => {
      upstream = createServer((req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[]');
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api/accounts/${account}/workspaces/${workspace}`;
      s = await startServer(engine, { upstream: base, 'upstream-key': 'secret-key' });
      await s.listen();
      rest = s.app.capabilities!.restUrls[0];
      mcp = await httpClient(s.app.capabilities!.mcpUrls[0], 'modern');
    });
    after(async () => {
      await mcp.close();
      await s.close();
      await new Promise<void>((r) => upstream.close(() => r()));
    });

    it('sends the upstream only well-formed paths', async () => {
      const ok = await tryTool(mcp, 'get-flow-run-logs', { id: uuid4() });
      assert.notEqual(ok.isError, true, ok.content[0].text);
      for (const bad of HOSTILE) {
        assert.equal((await tryTool(mcp, 'get-flow-run-logs', { account_id: bad, id: uuid4() })).isError, true, bad);
        assert.equal((await tryTool(mcp, 'read-logs', { workspace_id: bad, body: {} })).isError, true, bad);
      }
      for (const bad of ['..', '%2E%2E']) {
        const r = await rawGet(rest, `/v1/api/accounts/${account}/workspaces/${bad}/logs/filter`);
        assert.ok(r.status === 400 || r.status === 404 || r.status === 405, `${bad}: ${r.status} ${r.body}`);
      }
      assert.equal(seen.length, 1, seen.join('\n'));
      for (const p of seen)
        assert.match(p, new RegExp(`^/api/accounts/${account}/workspaces/${workspace}/flow_runs/[0-9a-f-]{36}/logs`));
    });
  });
});
