/**
 * Cut MCP answers continue exactly (issue 21, defects 1 and 2): a page cut to `--mcp-max-chars`
 * carries a continuation that resumes at the first item not returned, so following it reads every
 * item once; an item larger than the whole budget comes back shortened, never as an empty page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { engines } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { httpClient } from './harness.ts';

const BUDGET = 5000;
type Json = any;

describe('MCP: cut answers continue at the first item not returned', () => {
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
});
