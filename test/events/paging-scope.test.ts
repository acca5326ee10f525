import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { signToken, tokenKey } from '../../src/ops/signed-token.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev } from './helpers.ts';

type Page = {
  events: { id: string; event: string; workspace?: string | null; account?: string }[];
  total: number;
  next_page: string | null;
};

forEachEngine('events: paging, tokens, account scope, isolation', (engine) => {
  let s: TestServer;
  let wsB: string;
  before(async () => {
    s = await startServer(engine, { 'public-url': 'https://sightline.example.com/' });
    const r = await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, { name: 'Team B', handle: 'team-b' });
    wsB = r.json().workspace_id;
  });
  after(() => s.close());

  const post = async (events: unknown, url: string) =>
    assert.equal((await s.request('POST', url, events)).statusCode, 204);
  const first = async (url: string, body: unknown): Promise<Page> => {
    const r = await s.request('POST', url, body);
    assert.equal(r.statusCode, 200, r.body);
    return r.json();
  };
  /** Follows next_page as a client would: only the path and query of the absolute URL. */
  const follow = async (next: string): Promise<Page> => {
    const u = new URL(next);
    const r = await s.request('GET', u.pathname + u.search);
    assert.equal(r.statusCode, 200, r.body);
    return r.json();
  };

  it('pages through every matching event exactly once while new events arrive', async () => {
    // 130 events, some sharing an occurred timestamp, so the (occurred, id) tie-break matters.
    const base = Date.now() - 30 * 60_000;
    const evs = Array.from({ length: 130 }, (_, i) =>
      ev({ event: 'page.test', occurred: new Date(base + Math.floor(i / 3) * 1000).toISOString() }),
    );
    await post(evs, s.oss('/events'));
    let page = await first(s.oss('/events/filter'), { filter: { event: { name: ['page.test'] } } });
    assert.equal(page.total, 130);
    const seen: string[] = page.events.map((e) => e.id);
    assert.ok(
      page.next_page?.startsWith('https://sightline.example.com/api/events/filter/next?page-token='),
      page.next_page ?? '',
    );
    assert.equal(page.next_page?.split('next').length, 2, "the URL contains 'next' once (Cloud UI splits on it)");
    let n = 0;
    while (page.next_page) {
      // Newcomers inside the window must not shift pages.
      await post(
        [ev({ event: 'page.test', occurred: new Date(base + 500 + n++ * 1000).toISOString() })],
        s.oss('/events'),
      );
      page = await follow(page.next_page);
      assert.equal(page.total, 130, 'total is the first page count');
      seen.push(...page.events.map((e) => e.id));
    }
    assert.equal(seen.length, 130);
    assert.deepEqual(new Set(seen), new Set(evs.map((e) => e.id)));
  });

  it('keeps next_page on the Cloud family and honours Cloud limit and offset', async () => {
    const page = await first(s.cloud('/events/filter'), {
      limit: 100,
      filter: { event: { name: ['page.test'] }, limit: 40, offset: 50 },
    });
    assert.equal(page.events.length, 40);
    assert.ok(
      page.next_page?.startsWith(
        `https://sightline.example.com/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/events/filter/next?`,
      ),
    );
    let rest = 0;
    let next = page.next_page;
    while (next) {
      const p = await follow(next);
      assert.equal(p.events[0].account, s.accountId);
      rest += p.events.length;
      next = p.next_page;
    }
    assert.equal(rest, page.total - 90);
  });

  it('answers 403 for tampered, expired and foreign tokens, and 422 without one', async () => {
    const page = await first(s.oss('/events/filter'), { limit: 5, filter: { event: { name: ['page.test'] } } });
    const token = new URL(page.next_page!).searchParams.get('page-token')!;
    const get = (path: string) => s.request('GET', path);
    const forbidden = async (path: string) => {
      const r = await get(path);
      assert.equal(r.statusCode, 403, path);
      assert.deepEqual(r.json(), { detail: 'Invalid page token' });
    };
    const [body, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, n: 50 })).toString('base64url');
    await forbidden(s.oss(`/events/filter/next?page-token=${forged}.${sig}`));
    await forbidden(s.oss(`/events/filter/next?page-token=${token.slice(0, -2)}xx`));
    await forbidden(s.oss('/events/filter/next?page-token=garbage'));
    await forbidden(s.oss('/events/filter/next?page-token='));
    const key = tokenKey(s.app.services);
    const expired = signToken(key, payload, {
      kind: 'events-page',
      ttlMs: 60 * 60 * 1000,
      now: Date.now() - 2 * 60 * 60 * 1000,
    });
    await forbidden(s.oss(`/events/filter/next?page-token=${expired}`));
    await forbidden(s.cloud(`/events/filter/next?page-token=${token}`, wsB));
    await forbidden(`/api/accounts/${s.accountId}/events/filter/next?page-token=${token}`);
    assert.equal(
      (await get(s.cloud(`/events/filter/next?page-token=${token}`))).statusCode,
      200,
      'same workspace on the Cloud path',
    );
    assert.equal((await get(s.oss('/events/filter/next'))).statusCode, 422);
  });

  it('serves account scope: account events have no workspace; account reads see every workspace', async () => {
    const acct = `/api/accounts/${s.accountId}`;
    const own = ev({ event: 'scope.account' });
    await post([own], `${acct}/events`);
    await post([ev({ event: 'scope.ws-a' })], s.oss('/events'));
    await post([ev({ event: 'scope.ws-b' })], s.cloud('/events', wsB));
    const all = await first(`${acct}/events/filter`, { filter: { event: { prefix: ['scope.'] } } });
    assert.deepEqual(all.events.map((e) => e.event).sort(), ['scope.account', 'scope.ws-a', 'scope.ws-b']);
    const mine = all.events.find((e) => e.event === 'scope.account')!;
    assert.equal(mine.workspace, null);
    assert.equal(mine.account, s.accountId);
    assert.equal(all.events.find((e) => e.event === 'scope.ws-b')!.workspace, wsB);
    const onlyB = await first(`${acct}/events/filter`, {
      filter: { event: { prefix: ['scope.'] }, scope: { workspace: [wsB] } },
    });
    assert.deepEqual(
      onlyB.events.map((e) => e.event),
      ['scope.ws-b'],
    );
    const wsA = await first(s.oss('/events/filter'), { filter: { event: { prefix: ['scope.'] } } });
    assert.deepEqual(
      wsA.events.map((e) => e.event),
      ['scope.ws-a'],
      'a workspace never sees account events',
    );
    // Account dedup is its own: the same id in a workspace is a different event.
    await post([own], s.cloud('/events', wsB));
    assert.equal((await first(`${acct}/events/filter`, { filter: { event: { prefix: ['scope.account'] } } })).total, 2);
    await post([own], `${acct}/events`);
    assert.equal((await first(`${acct}/events/filter`, { filter: { event: { prefix: ['scope.account'] } } })).total, 2);
    // Paging at account scope stays there.
    const paged = await first(`${acct}/events/filter`, { limit: 1, filter: { event: { prefix: ['scope.'] } } });
    assert.ok(paged.next_page?.includes(`${acct}/events/filter/next?`));
    assert.equal((await follow(paged.next_page!)).events.length, 1);
    const bad = await s.request('POST', `${acct}/events`, [{ ...ev(), resource: {} }]);
    assert.equal(bad.statusCode, 422);
    assert.ok(Array.isArray(bad.json().detail), 'Cloud error shape');
    const unknown = await s.request('POST', '/api/accounts/00000000-0000-4000-8000-000000000000/events/filter', {});
    assert.equal(unknown.statusCode, 404);
  });

  it('keeps two workspaces apart', async () => {
    await post([ev({ event: 'iso.a' })], s.cloud('/events'));
    await post([ev({ event: 'iso.b' })], s.cloud('/events', wsB));
    const a = await first(s.cloud('/events/filter'), { filter: { event: { prefix: ['iso.'] } } });
    const b = await first(s.cloud('/events/filter', wsB), { filter: { event: { prefix: ['iso.'] } } });
    assert.deepEqual(
      a.events.map((e) => e.event),
      ['iso.a'],
    );
    assert.deepEqual(
      b.events.map((e) => e.event),
      ['iso.b'],
    );
    const foreign = await first(s.cloud('/events/filter'), {
      filter: { event: { prefix: ['iso.'] }, scope: { workspace: [wsB] } },
    });
    assert.equal(foreign.total, 0, 'scope cannot reach into another workspace');
  });
});
