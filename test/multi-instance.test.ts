/**
 * Scale-out: two `sightline serve` processes on one PostgreSQL database behave as one service —
 * the same default account and workspace, each other's writes, each other's change notices.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ChangeNotice, Store } from '../src/store/contract.ts';
import { openStore } from '../src/store/open.ts';
import { type Served, serve } from './helpers/cli.ts';
import { forEngine, tempDir } from './helpers/engines.ts';
import { openSocket, wsUrl } from './helpers/ws.ts';

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

async function messages(url: string, body: unknown = {}): Promise<string[]> {
  const r = await post(url, body);
  assert.equal(r.status, 200);
  return ((await r.json()) as { message: string }[]).map((l) => l.message);
}

const now = () => new Date().toISOString(); // a client-side timestamp, as Prefect sends it

forEngine('postgres', 'two instances on one database', (engine) => {
  let a: Served;
  let b: Served;
  let watcher: Store;

  before(async () => {
    const db = await engine.newDatabaseUrl();
    const args = (dir: string) => [
      '--port',
      '0',
      '--data-dir',
      dir,
      '--db',
      db,
      '--log-level',
      'silent',
      '--db-pool',
      '4',
    ];
    // Started together: the first creates the schema and the defaults, the other waits and reuses them.
    [a, b] = await Promise.all([serve(args(tempDir())), serve(args(tempDir()))]);
    watcher = await openStore({ url: db, pool: 2 });
  });

  after(async () => {
    await watcher?.close();
    for (const s of [a, b]) {
      s?.child.kill('SIGTERM');
      await s?.exited;
    }
  });

  it('serve the same default account and workspace', () => {
    assert.equal(a.lines.account, b.lines.account);
    assert.equal(a.lines.workspace, b.lines.workspace);
    assert.notEqual(a.lines.api, b.lines.api);
  });

  it('read, search and page through one instance what was written through the other', async () => {
    const batch = Array.from({ length: 30 }, (_, i) => ({
      name: 'multi',
      level: 20,
      message: `through A ${i}`,
      timestamp: now(),
    }));
    assert.equal((await post(`${a.lines.api}/logs/`, batch)).status, 201);
    assert.equal(
      (
        await post(`${a.lines.cloud}/logs/`, [
          { name: 'multi', level: 40, message: 'cloud path via A', timestamp: now() },
        ])
      ).status,
      202,
    );
    const viaB = await messages(`${b.lines.api}/logs/filter`, { logs: { loggers: { any_: ['multi'] } } });
    assert.equal(viaB.length, 31);
    assert.deepEqual(await messages(`${b.lines.cloud}/logs/filter`, { logs: { level: { ge_: 40 } } }), [
      'cloud path via A',
    ]);
    assert.deepEqual(await messages(`${b.lines.api}/logs/filter`, { logs: { text: { query: '"through a 7"' } } }), [
      'through A 7',
    ]);
    const pages: string[] = [];
    for (let offset = 0; offset < 31; offset += 10)
      pages.push(...(await messages(`${b.lines.api}/logs/filter`, { limit: 10, offset })));
    assert.deepEqual(pages, viaB);
  });

  it('announce each other’s writes on the change feed', async () => {
    const notices: ChangeNotice[] = [];
    const stop = watcher.changes.subscribe((n) => notices.push(n));
    try {
      // Let the watcher's LISTEN connection come up before the write.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        (await post(`${b.lines.api}/logs/`, [{ name: 'live', level: 20, message: 'through B', timestamp: now() }]))
          .status,
        201,
      );
      const rows = await watcher.logs.filter(b.lines.workspace, {
        filter: { operator: 'and_', loggers: { any_: ['live'] } },
        sort: 'TIMESTAMP_ASC',
        limit: 10,
        offset: 0,
      });
      assert.deepEqual(
        rows.map((r) => r.message),
        ['through B'],
        'acknowledged means committed and visible everywhere',
      );
      const covers = (n: ChangeNotice) =>
        n.workspaceId === b.lines.workspace && n.stream === 'logs' && n.maxSeq >= rows[0].seq;
      const deadline = Date.now() + 60_000;
      while (!notices.some(covers) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(notices.some(covers), 'a notice from instance B reached another process');
      assert.deepEqual(await messages(`${a.lines.api}/logs/filter`, { logs: { loggers: { any_: ['live'] } } }), [
        'through B',
      ]);
    } finally {
      stop();
    }
  });

  it('accept each other’s signed page tokens', async () => {
    const occurred = new Date().toISOString();
    const events = [0, 1, 2].map((i) => ({
      id: crypto.randomUUID(),
      occurred,
      event: 'multi.instance.paged',
      resource: { 'prefect.resource.id': `multi.resource.${i}` },
    }));
    assert.equal((await post(`${a.lines.api}/events`, events)).status, 204);
    const first = (await (
      await post(`${a.lines.api}/events/filter`, { filter: { event: { name: ['multi.instance.paged'] } }, limit: 1 })
    ).json()) as {
      events: { id: string }[];
      next_page: string;
    };
    const seen = [first.events[0].id];
    // The token was signed by A; B (same database, same secret) continues the paging.
    let next: string | null = first.next_page.replace(a.lines.api, b.lines.api);
    while (next) {
      const r = await fetch(next);
      assert.equal(r.status, 200, await r.clone().text());
      const page = (await r.json()) as { events: { id: string }[]; next_page: string | null };
      seen.push(...page.events.map((e) => e.id));
      next = page.next_page?.replace(a.lines.api, b.lines.api) ?? null;
    }
    assert.deepEqual(seen.sort(), events.map((e) => e.id).sort());
  });

  it('deliver logs written through one instance to a live subscriber of the other, and change its ETags', async () => {
    const run = crypto.randomUUID();
    const page = `${a.lines.api}/flow_runs/${run}/logs`;
    const etag = (await fetch(page)).headers.get('etag')!;
    const s = await openSocket(wsUrl(a.lines.api, '/logs/out'));
    try {
      s.send({ type: 'filter', filter: { flow_run_id: { any_: [run] } } });
      await new Promise((r) => setTimeout(r, 200));
      const batch = ['one', 'two', 'three'].map((message) => ({
        name: 'live',
        level: 20,
        message,
        timestamp: now(),
        flow_run_id: run,
      }));
      assert.equal((await post(`${b.lines.api}/logs/`, batch)).status, 201);
      await s.until(() => s.messages.length >= 3, 60_000, 'logs written through B');
      assert.deepEqual(
        s.messages.map((m) => m.log.message),
        ['one', 'two', 'three'],
      );
      const again = await fetch(page, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as unknown[]).length, 3);
    } finally {
      s.ws.close();
    }
  });
});
