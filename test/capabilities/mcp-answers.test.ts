/**
 * Answers of the generated MCP tools an agent can trust (issue 21, defects 1, 2 and 7): a page
 * cut to `--mcp-max-chars` carries a continuation that resumes at the first item not returned, so
 * following it reads every item once; an item larger than the whole budget comes back shortened,
 * never as an empty page; an unknown run id, or a task run's, is an error rather than `[]`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { engines } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { httpClient } from './harness.ts';

const BUDGET = 5000;
type Json = any;

describe('MCP generated tools: cut answers, oversized items, unknown ids', () => {
  let s: TestServer;
  let client: Client;
  let url: string;
  const ids: string[] = [];

  before(async () => {
    s = await startServer(engines[0], { 'mcp-max-chars': String(BUDGET) });
    url = await s.listen();
    const t = Date.now();
    const events = Array.from({ length: 100 }, (_, i) => ({
      id: crypto.randomUUID(),
      occurred: new Date(t - i * 1000).toISOString(),
      event: 'etl.batch.written',
      resource: { 'prefect.resource.id': `etl.batch.${i}`, 'prefect.resource.name': `batch number ${i} of the night` },
      payload: { rows: i, note: 'x'.repeat(100) },
    }));
    events.push({
      id: crypto.randomUUID(),
      occurred: new Date(t - 500_000).toISOString(),
      event: 'etl.huge',
      resource: { 'prefect.resource.id': 'etl.huge', 'prefect.resource.name': 'huge' },
      payload: { rows: -1, note: 'y'.repeat(20_000) },
    });
    const r = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    assert.equal(r.status, 204);
    ids.push(...events.slice(0, 100).map((e) => e.id));
    client = await httpClient(s.app.capabilities!.mcpUrls[0], 'modern');
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  const tool = async (name: string, args: Json): Promise<Json> => {
    const a = (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent: Json };
    assert.notEqual(a.isError, true, JSON.stringify(a.structuredContent));
    assert.ok(JSON.stringify(a.structuredContent).length <= BUDGET);
    return a.structuredContent;
  };

  it('reads 100 events through cut pages and their next_page, each once', async () => {
    const filter = { event: { prefix: ['etl.batch'] } };
    let page = await tool('read-workspace-events', { body: { filter, limit: 100 } });
    assert.equal(page.truncated, true);
    const seen: string[] = [];
    for (let guard = 0; guard < 100; guard++) {
      seen.push(...page.events.map((e: Json) => e.id));
      if (!page.next_page) break;
      assert.ok(page.next_page.startsWith(`${url}/accounts/`), `a link a client can follow: ${page.next_page}`);
      const token = new URL(page.next_page).searchParams.get('page-token');
      page = await tool('read-workspace-events-page', { 'page-token': token });
    }
    assert.equal(new Set(seen).size, seen.length, 'no event twice');
    assert.deepEqual([...seen].sort(), [...ids].sort(), 'none skipped');
  });

  it('returns an item larger than the budget with its long fields shortened', async () => {
    const page = await tool('read-workspace-events', { body: { filter: { event: { prefix: ['etl.huge'] } } } });
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0].payload.note_truncated, true);
    assert.ok(page.events[0].payload.note.startsWith('yyy'));
  });

  it('answers an unknown run id, or a task run id, with an error instead of nothing', async () => {
    const flow = (await (
      await fetch(`${url}/flows/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'f' }),
      })
    ).json()) as Json;
    const run = (await (
      await fetch(`${url}/flow_runs/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ flow_id: flow.id }),
      })
    ).json()) as Json;
    const task = (await (
      await fetch(`${url}/task_runs/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ flow_run_id: run.id, task_key: 't', dynamic_key: '0', name: 'step-1' }),
      })
    ).json()) as Json;
    const unknown = '00000000-0000-7000-8000-000000000000';
    for (const [name, args] of [
      ['get-flow-run-logs', (id: string) => ({ id })],
      ['get-events-flow-run', (id: string) => ({ flow_run_id: id })],
      ['read-trace-observed-loggers', (id: string) => ({ trace_id: id })],
    ] as const) {
      const known = (await client.callTool({ name, arguments: args(run.id) })) as Json;
      assert.notEqual(known.isError, true, `${name}: a known run without data is just empty`);
      const none = (await client.callTool({ name, arguments: args(unknown) })) as Json;
      assert.equal(none.isError, true, name);
      assert.equal(none.structuredContent.error.code, 'not_found');
      assert.match(none.structuredContent.error.hint, /find-flow-runs/);
      const wrong = (await client.callTool({ name, arguments: args(task.id) })) as Json;
      assert.equal(wrong.structuredContent.error.code, 'not_found', name);
      assert.match(wrong.structuredContent.error.message, /is a task run .* not a flow run/, name);
      assert.equal(wrong.structuredContent.error.flow_run_id, run.id);
    }
  });
});

describe('MCP protocol: fixed tool lists, progress for downloads, cancellation reaches the upstream', () => {
  it('advertises lists that never change, and reports progress while a download is read', async () => {
    const s = await startServer(engines[0]);
    const url = await s.listen();
    const client = await httpClient(s.app.capabilities!.mcpUrls[0], 'legacy');
    try {
      const caps = client.getServerCapabilities()!;
      assert.equal(caps.tools?.listChanged, false);
      assert.equal(caps.prompts?.listChanged, false);
      const flow: Json = await (await fetch(`${url}/flows/`, post({ name: 'f' }))).json();
      const run: Json = await (await fetch(`${url}/flow_runs/`, post({ flow_id: flow.id }))).json();
      const now = Date.now();
      const logs = Array.from({ length: 200 }, (_, i) => ({
        name: 'x',
        level: 20,
        message: `line ${i} ${'z'.repeat(50)}`,
        timestamp: new Date(now + i).toISOString(),
        flow_run_id: run.id,
      }));
      assert.equal((await fetch(`${url}/logs/`, post(logs))).status, 201);
      const progress: number[] = [];
      const r = (await client.callTool(
        { name: 'download-flow-run-logs-2', arguments: { id: run.id } },
        { onprogress: (p) => progress.push(p.progress) },
      )) as Json;
      assert.notEqual(r.isError, true);
      assert.match(r.content[0].text, /line 199/);
      assert.ok(progress.length > 0, 'at least one progress notification');
    } finally {
      await client.close();
      await s.close();
    }
  });

  it('aborts the upstream request when the caller cancels the call', async () => {
    const { createServer } = await import('node:http');
    let closed!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // An upstream that takes every request and never answers.
    const hang = createServer((req) => {
      if (!req.url?.includes('/logs/filter')) return;
      arrived();
      req.socket.on('close', () => closed());
    });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const port = (hang.address() as { port: number }).port;
    const ids = '00000000-0000-4000-8000-000000000001';
    const s = await startServer(engines[0], {
      upstream: `http://127.0.0.1:${port}/api/accounts/${ids}/workspaces/${ids}`,
    });
    await s.listen();
    const client = await httpClient(s.app.capabilities!.mcpUrls[0], 'legacy');
    try {
      const ctrl = new AbortController();
      const call = client.callTool({ name: 'read-logs', arguments: { body: {} } }, { signal: ctrl.signal });
      await requestArrived;
      ctrl.abort();
      await assert.rejects(call);
      await upstreamClosed;
    } finally {
      await client.close();
      await s.close();
      hang.closeAllConnections();
      hang.close();
    }
  });
});

function post(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
