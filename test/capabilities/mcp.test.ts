/**
 * The MCP server started from the three seed files, driven by the official SDK client over
 * Streamable HTTP in both protocol eras: tool list, schemas, annotations, and every tool's answer
 * against the native Cloud-path answer for the same inputs.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { AGENT_TOOLS, agentTool } from '../../src/domain/agent/tools.ts';
import { engines } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertSameAnswer, callNative, type Era, httpClient, type ToolAnswer } from './harness.ts';
import { newLog, type Seeded, seed, TOOL_TABLE } from './tool-table.ts';

const READS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };
/** What each tool does, whatever the seed says: POST filters and counts read; a re-sent create is a no-op. */
function expectedHints(tool: string, method: string) {
  if (method === 'GET' || /^(read|count)-/.test(tool)) return READS;
  if (method === 'DELETE') return { readOnlyHint: false, destructiveHint: true, idempotentHint: true };
  return { readOnlyHint: false, destructiveHint: false, idempotentHint: true };
}

describe('MCP server (seed capabilities, local API)', () => {
  let server: TestServer;
  let seeded: Seeded;
  const clients = new Map<Era, Client>();

  before(async () => {
    server = await startServer(engines[0]);
    await server.listen();
    seeded = await seed(server);
    const [mcpUrl] = server.app.capabilities!.mcpUrls;
    for (const era of ['modern', 'legacy'] as const) clients.set(era, await httpClient(mcpUrl, era));
  });
  after(async () => {
    for (const c of clients.values()) await c.close();
    await server.close();
  });

  for (const era of ['modern', 'legacy'] as const) {
    it(`lists the 28 seed tools with derived schemas and the seeds' hints (${era})`, async () => {
      const listed = (await clients.get(era)!.listTools()).tools;
      const tools = listed.filter((t) => !agentTool(t.name));
      assert.equal(listed.length - tools.length, AGENT_TOOLS.length, 'and the agent tools');
      assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_TABLE.map((r) => r.tool).sort());
      for (const row of TOOL_TABLE) {
        const t = tools.find((x) => x.name === row.tool)!;
        const method = row.native(seeded).method;
        assert.deepEqual(
          t.annotations,
          { title: t.title, ...expectedHints(row.tool, method), openWorldHint: false },
          row.tool,
        );
        assert.ok(t.title && !/\.$/.test(t.title), `${row.tool}: a title`);
        for (const [name, p] of Object.entries(t.inputSchema.properties as Record<string, { description?: string }>))
          assert.ok(p.description && !/ORION/.test(p.description), `${row.tool}.${name} is described truly`);
        assert.ok(!/14-day window\./.test(t.description!) && !/Answers over/.test(t.description!), row.tool);
        assert.equal(t.inputSchema.type, 'object');
        assert.ok(!(t.inputSchema.required ?? []).includes('account_id'), `${row.tool}: account_id defaults`);
        assert.ok(t.description && t.description.length > 40, `${row.tool}: description`);
      }
      const props = (name: string) =>
        tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, Record<string, unknown>>;
      assert.equal(props('get-flow-run-logs').level_ge.type, 'integer');
      assert.equal(props('get-flow-run-logs').level_le.type, 'integer');
      assert.equal(props('get-flow-run-logs').task_runs_is_null.type, 'boolean');
      assert.equal(props('read-spans').depth.type, 'integer');
      for (const p of ['entities', 'state_types', 'state_names', 'tags'])
        assert.equal(props('read-spans')[p].type, 'array', p);
      assert.equal(props('read-spans-ids').ids.type, 'array');
      for (const t of ['create-logs', 'create-account-events', 'create-account-events-2', 'create-workspace-events'])
        assert.equal(props(t).body.type, 'array', t);
      assert.equal(props('read-logs').body.type, 'object');
      assert.deepEqual(tools.find((t) => t.name === 'get-flow-run-logs')!.inputSchema.required, ['id']);
      assert.deepEqual(tools.find((t) => t.name === 'read-account-events-page')!.inputSchema.required, ['page-token']);
      assert.match(tools.find((t) => t.name === 'get-flow-run-logs')!.description!, /offset/);
    });

    it(`answers every tool like the native API (${era})`, async () => {
      const client = clients.get(era)!;
      const ids = { a: server.accountId, w: server.workspaceId };
      const switchable: string[] = [];
      for (const row of TOOL_TABLE) {
        const got = (await client.callTool({ name: row.tool, arguments: row.args(seeded, ids) })) as ToolAnswer;
        const native = await callNative(server, row.native(seeded));
        assertSameAnswer(row.tool, got, native, era);
        if (!row.pending) assert.ok(native.status < 400, `${row.tool}: the native route answers ${native.status}`);
        else if (native.status < 400) switchable.push(row.tool);
      }
      if (switchable.length)
        console.log(`capability rows ready to switch on (native route now answers): ${switchable.join(', ')}`);
    });
  }

  it('takes a list where the API wants a comma-separated one, and requires the ids of read-spans-ids', async () => {
    const client = clients.get('modern')!;
    const { tools } = await client.listTools();
    assert.deepEqual(tools.find((t) => t.name === 'read-spans-ids')!.inputSchema.required, ['trace_id', 'ids']);
    const call = async (loggers: unknown) =>
      (
        (await client.callTool({
          name: 'get-flow-run-logs',
          arguments: { id: seeded.flowRunId, loggers },
        })) as ToolAnswer
      ).structuredContent as { result: { name: string }[] } | { name: string }[];
    const byList = await call(['demo.flow', 'other']);
    assert.deepEqual(byList, await call('demo.flow,other'));
    const rows = Array.isArray(byList) ? byList : byList.result;
    assert.ok(rows.length > 0 && rows.every((l) => l.name === 'demo.flow'));
    const none = await call(['other']);
    assert.deepEqual(Array.isArray(none) ? none : none.result, []);
  });

  it('says which argument is wrong, as an isError result', async () => {
    const client = clients.get('modern')!;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['get-flow-run-logs', { id: seeded.flowRunId, level_ge: 'high' }, /argument 'level_ge' must be an integer/],
      ['get-flow-run-logs', {}, /argument 'id' is required/],
      ['get-flow-run-logs', { id: 'not-a-uuid' }, /argument 'id' must be a UUID/],
      ['read-logs', { body: { limit: 1 }, color: 'red' }, /unknown argument 'color'/],
      ['create-logs', { body: { name: 'x' } }, /argument 'body' must be an array/],
      [
        'read-spans',
        { trace_id: seeded.flowRunId, direction: 'sideways' },
        /argument 'direction' must be one of asc, desc/,
      ],
    ];
    for (const [name, args, message] of cases) {
      const r = (await client.callTool({ name, arguments: args })) as ToolAnswer;
      assert.equal(r.isError, true, name);
      assert.match(r.content[0].text!, message);
    }
  });

  it('passes the native validation error back when the body is wrong inside', async () => {
    const r = (await clients
      .get('modern')!
      .callTool({ name: 'create-logs', arguments: { body: [{ name: 'x' }] } })) as ToolAnswer;
    assert.equal(r.isError, true);
    assert.equal((r.structuredContent as { status: number }).status, 422);
    assert.match(r.content[0].text!, /HTTP 422 to POST \/api\/accounts\/.*\/logs\//);
  });

  it('answers an unknown tool with a JSON-RPC error', async () => {
    await assert.rejects(
      clients.get('modern')!.callTool({ name: 'no-such-tool', arguments: {} }),
      (err: { code?: number }) => err.code === -32602,
    );
    await assert.rejects(
      clients.get('legacy')!.callTool({ name: 'no-such-tool', arguments: {} }),
      (err: { code?: number }) => err.code === -32602,
    );
  });

  it('lets explicit account and workspace ids win over the defaults', async () => {
    const other = '00000000-0000-4000-8000-000000000000';
    const r = (await clients
      .get('modern')!
      .callTool({ name: 'read-logs', arguments: { workspace_id: other, body: {} } })) as ToolAnswer;
    const native = await server.request(
      'POST',
      `/api/accounts/${server.accountId}/workspaces/${other}/logs/filter`,
      {},
    );
    assert.equal(r.isError, true);
    assert.equal((r.structuredContent as { status: number }).status, native.statusCode);
    assert.deepEqual((r.structuredContent as { error: unknown }).error, native.json());
  });

  it('cuts a long list at a whole item and says how to continue', async () => {
    const client = clients.get('modern')!;
    const runId = crypto.randomUUID();
    const batch = Array.from({ length: 200 }, (_, i) => ({
      ...newLog(runId, `${i} ${'x'.repeat(600)}`),
      timestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    }));
    assert.equal((await server.request('POST', server.cloud('/logs/'), batch)).statusCode, 202);
    const body = { logs: { flow_run_id: { any_: [runId] } }, limit: 200 };
    const first = (await client.callTool({ name: 'read-logs', arguments: { body } })) as ToolAnswer;
    const sc = first.structuredContent as {
      result: unknown[];
      truncated: boolean;
      returned: number;
      next: { body: { offset: number } };
    };
    assert.equal(sc.truncated, true);
    assert.ok(sc.returned > 10 && sc.returned < 200, `returned ${sc.returned}`);
    assert.equal(sc.result.length, sc.returned);
    assert.ok(first.content[0].text!.length <= 60_000);
    assert.deepEqual(JSON.parse(first.content[0].text!), sc);
    assert.deepEqual(sc.next, { body: { ...body, offset: sc.returned } });
    const all = (await server.request('POST', server.cloud('/logs/filter'), body)).json() as unknown[];
    assert.deepEqual(sc.result, all.slice(0, sc.returned));
    const second = (await client.callTool({ name: 'read-logs', arguments: sc.next })) as ToolAnswer;
    const sc2 = second.structuredContent as { result?: unknown[]; returned?: number };
    const page2 = sc2.result ?? (second.structuredContent as unknown[]);
    assert.deepEqual(page2, all.slice(sc.returned, sc.returned + page2.length));
  });

  it('refuses requests whose Host is not allowed', async () => {
    const [mcpUrl] = server.app.capabilities!.mcpUrls;
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          mcpUrl,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
      });
    assert.equal(await status({ host: 'evil.example' }), 421);
    assert.equal(await status({ origin: 'http://evil.example' }), 403);
    const other = await fetch(new URL('/other', mcpUrl));
    assert.equal(other.status, 404);
  });
});
