import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev, related } from './helpers.ts';

forEachEngine('events: ingest and filter', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  const post = (events: unknown, url = s.oss('/events')) => s.request('POST', url, events);
  const filter = async (body: unknown, url = s.oss('/events/filter')) => {
    const r = await s.request('POST', url, body);
    assert.equal(r.statusCode, 200, r.body);
    return r.json() as { events: Record<string, unknown>[]; total: number; next_page: string | null };
  };
  const ids = (page: { events: Record<string, unknown>[] }) => page.events.map((e) => e.id);

  it('accepts a batch with 204 and shows it to the very next filter call on both families', async () => {
    const a = ev({ event: 'test.rw.a' });
    const b = ev({ event: 'test.rw.b', payload: { x: 1 }, follows: a.id as string });
    const r = await post([a, b]);
    assert.equal(r.statusCode, 204);
    assert.equal(r.body, '');
    const oss = await filter({ filter: { event: { prefix: ['test.rw.'] } } });
    assert.deepEqual(ids(oss), [b.id, a.id], 'newest first by default');
    assert.equal(oss.total, 2);
    assert.equal(oss.next_page, null);
    const got = oss.events[0];
    assert.equal(got.follows, a.id);
    assert.deepEqual(got.payload, { x: 1 });
    assert.equal(typeof got.received, 'string');
    assert.equal('account' in got, false, 'open-source shape has no account');
    const cloud = await filter(
      { filter: { event: { prefix: ['test.rw.'] }, order: 'ASC' } },
      s.cloud('/events/filter'),
    );
    assert.deepEqual(ids(cloud), [a.id, b.id]);
    assert.equal(cloud.events[0].account, s.accountId);
    assert.equal(cloud.events[0].workspace, s.workspaceId);
    const viaCloud = await post([ev({ event: 'test.rw.c' })], s.cloud('/events'));
    assert.equal(viaCloud.statusCode, 204);
    assert.equal((await filter({ filter: { event: { prefix: ['test.rw.'] } } })).total, 3);
  });

  it('rejects invalid events with a 422 naming them, and ignores unknown keys', async () => {
    const good = ev({ event: 'test.valid.ok' });
    const cases: [unknown, RegExp][] = [
      [{ ...ev(), resource: { 'prefect.resource.name': 'x' } }, /prefect\.resource\.id/],
      [{ ...ev(), event: 'x'.repeat(1025) }, /at most 1024/],
      [{ ...ev(), related: Array.from({ length: 101 }, (_, i) => related(`r.${i}`, 'thing')) }, /at most 100 items/],
      [{ ...ev(), related: [{ 'prefect.resource.id': 'r.1' }] }, /prefect\.resource\.role/],
      [
        {
          ...ev(),
          resource: Object.fromEntries([
            ['prefect.resource.id', 'r'],
            ...Array.from({ length: 500 }, (_, i) => [`l${i}`, 'v']),
          ]),
        },
        /labels/,
      ],
      [{ ...ev(), payload: { blob: 'x'.repeat(1_500_001) } }, /maximum of 1500000 bytes/],
      [{ ...ev(), id: 'not-a-uuid' }, /UUID/],
      [{ ...ev(), occurred: undefined }, /Field required/],
      [{ ...ev(), resource: { 'prefect.resource.id': 'r', n: 3 } }, /valid string/],
    ];
    for (const [bad, msg] of cases) {
      const r = await post([good, bad]);
      assert.equal(r.statusCode, 422, `${msg}`);
      const body = r.json();
      const detail = body.exception_detail as { loc: unknown[]; msg: string }[];
      assert.equal(detail[0].loc[1], 1, 'names the index');
      assert.match(detail.map((d) => d.msg).join(' '), msg);
      const id = (bad as { id?: string }).id;
      if (id && id !== 'not-a-uuid') assert.match(detail[0].msg, new RegExp(id));
    }
    const cloud = await post([{ ...ev(), resource: {} }], s.cloud('/events'));
    assert.equal(cloud.statusCode, 422);
    assert.ok(Array.isArray(cloud.json().detail), 'Cloud shape');
    assert.equal((await post({ not: 'a list' })).statusCode, 422);
    assert.equal(
      (await filter({ filter: { event: { prefix: ['test.valid.'] } } })).total,
      0,
      'nothing of a rejected batch is stored',
    );
    const r = await post([{ ...good, unknown_key: 1, account: 'whatever' }]);
    assert.equal(r.statusCode, 204);
    assert.equal((await filter({ filter: { event: { prefix: ['test.valid.'] } } })).total, 1);
  });

  it('deduplicates by (workspace, id): first write wins, within and across requests, never across tenants', async () => {
    const first = ev({ event: 'test.dedup.first' });
    const again = { ...first, event: 'test.dedup.second' };
    assert.equal((await post([first, again])).statusCode, 204);
    assert.equal((await post([again])).statusCode, 204);
    const page = await filter({ filter: { event: { prefix: ['test.dedup.'] } } });
    assert.deepEqual(
      page.events.map((e) => e.event),
      ['test.dedup.first'],
    );
    const other = await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, {
      name: 'Dedup',
      handle: 'dedup',
    });
    assert.equal(other.statusCode, 201);
    const wsB = other.json().workspace_id as string;
    assert.equal((await post([again], s.cloud('/events', wsB))).statusCode, 204);
    const inB = await filter({ filter: { event: { prefix: ['test.dedup.'] } } }, s.cloud('/events/filter', wsB));
    assert.deepEqual(
      inB.events.map((e) => e.event),
      ['test.dedup.second'],
      'same id in another workspace is its own event',
    );
    assert.equal((await filter({ filter: { event: { prefix: ['test.dedup.'] } } })).total, 1);
  });

  it('applies every filter field', async () => {
    const run = 'prefect.flow-run.aaaaaaaa-0000-4000-8000-000000000001';
    const task = 'prefect.task-run.aaaaaaaa-0000-4000-8000-000000000002';
    const t = (m: number) => `2030-01-01T00:${String(m).padStart(2, '0')}:00Z`;
    const evs = [
      ev({
        event: 'filt.flow-run.Running',
        occurred: t(1),
        resource: { 'prefect.resource.id': run, 'prefect.resource.name': 'brave-fox', env: 'prod' },
        related: [
          related('prefect.flow.f1', 'flow', { 'prefect.resource.name': 'etl' }),
          related('prefect.tag.nightly', 'tag'),
        ],
      }),
      ev({
        event: 'filt.task-run.Completed',
        occurred: t(2),
        resource: { 'prefect.resource.id': task, env: 'dev' },
        related: [related(run, 'flow-run'), related('prefect.tag.nightly', 'tag')],
        payload: { message: 'Connection TIMEOUT reached' },
      }),
      ev({
        event: 'filt.flow-run.Completed',
        occurred: t(3),
        resource: { 'prefect.resource.id': run, 'prefect.resource.name': 'brave-fox', env: 'prod' },
        related: [related('prefect.flow.f1', 'flow', { 'prefect.resource.name': 'etl' })],
      }),
      ev({
        event: 'filt.deployment.created',
        occurred: t(4),
        resource: { 'prefect.resource.id': 'prefect.deployment.d1', env: 'staging' },
        related: [related(run, 'flow-run')],
      }),
    ];
    assert.equal((await post(evs)).statusCode, 204);
    const base = { occurred: { since: t(0), until: t(59) } };
    const q = async (f: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      (await filter({ filter: { ...base, order: 'ASC', ...f }, ...extra })).events.map((e) => e.event);
    const names = evs.map((e) => e.event);
    assert.deepEqual(await q({}), names);
    assert.deepEqual(await q({ occurred: { since: t(2), until: t(3) } }), names.slice(1, 3), 'since/until inclusive');
    assert.deepEqual(await q({ event: { prefix: ['filt.flow-run.'] } }), [names[0], names[2]]);
    assert.deepEqual(await q({ event: { exclude_prefix: ['filt.flow-run.', 'filt.task'] } }), [names[3]]);
    assert.deepEqual(await q({ event: { name: ['filt.flow-run.Running', 'filt.deployment.created'] } }), [
      names[0],
      names[3],
    ]);
    assert.deepEqual(await q({ event: { exclude_name: ['filt.flow-run.Running'] } }), names.slice(1));
    assert.deepEqual(await q({ resource: { id: [run] } }), [names[0], names[2]]);
    assert.deepEqual(await q({ resource: { id_prefix: ['prefect.task-run.', 'prefect.deployment'] } }), [
      names[1],
      names[3],
    ]);
    assert.deepEqual(await q({ resource: { labels: { env: ['prod', 'staging'] } } }), [names[0], names[2], names[3]]);
    assert.deepEqual(await q({ resource: { labels: { env: '!prod' } } }), [names[1], names[3]]);
    assert.deepEqual(await q({ resource: { labels: { env: 'st*' } } }), [names[3]]);
    assert.deepEqual(await q({ resource: { labels: { env: 'd?v' } } }), [names[1]]);
    assert.deepEqual(await q({ resource: { labels: { env: [] } } }), [], 'empty value list matches nothing');
    assert.deepEqual(await q({ resource: { labels: { 'prefect.resource.name': 'brave-*', env: 'prod' } } }), [
      names[0],
      names[2],
    ]);
    assert.deepEqual(
      await q({ resource: { id: [run], distinct: true } }),
      [names[0]],
      'distinct keeps the first per resource',
    );
    assert.deepEqual(await q({ related: { id: [run] } }), [names[1], names[3]]);
    assert.deepEqual(await q({ related: { role: ['flow'] } }), [names[0], names[2]]);
    assert.deepEqual(
      await q({ related: { id: [run], role: ['flow'] } }),
      [],
      'id and role on the same related resource',
    );
    assert.deepEqual(await q({ related: { resources_in_roles: [['prefect.tag.nightly', 'tag']] } }), [
      names[0],
      names[1],
    ]);
    assert.deepEqual(await q({ related: { labels: { 'prefect.resource.name': 'etl' } } }), [names[0], names[2]]);
    assert.deepEqual(
      await q({ related: [{ role: ['tag'] }, { id: [run] }] }),
      [names[1]],
      'a list: every element must hold',
    );
    assert.deepEqual(await q({ any_resource: { id: [run] } }), names, 'primary or related');
    assert.deepEqual(await q({ any_resource: { id_prefix: ['prefect.deployment.'] } }), [names[3]]);
    assert.deepEqual(await q({ any_resource: { labels: { 'prefect.resource.role': 'tag' } } }), [names[0], names[1]]);
    assert.deepEqual(await q({ any_resource: [{ id: [run] }, { id: ['prefect.flow.f1'] }] }), [names[0], names[2]]);
    assert.deepEqual(await q({ id: { id: [evs[2].id] } }), [names[2]]);
    assert.deepEqual(await q({ text: { query: 'timeout' } }), [names[1]], 'payload is searched, case-insensitively');
    assert.deepEqual(await q({ text: { query: 'brave -running' } }), [names[2]]);
    assert.deepEqual(await q({ text: { query: '+nightly +flow-run' } }), [names[0], names[1]]);
    assert.deepEqual(await q({ text: { query: '"deployment.created"' } }), [names[3]]);
    assert.deepEqual(await q({ order: 'DESC' }), [...names].reverse());
  });

  it('validates filter bodies and limits per path family', async () => {
    const status = async (body: unknown, url: string) => (await s.request('POST', url, body)).statusCode;
    assert.equal(await status({ filter: { bogus: 1 } }, s.oss('/events/filter')), 422, 'unknown key');
    assert.equal(
      await status({ filter: { event: { prefixes: ['a'] } } }, s.oss('/events/filter')),
      422,
      'unknown nested key',
    );
    assert.equal(await status({ limit: 51 }, s.oss('/events/filter')), 422);
    assert.equal(await status({ limit: 50 }, s.oss('/events/filter')), 200);
    assert.equal(await status({ limit: 200 }, s.cloud('/events/filter')), 200);
    assert.equal(await status({ limit: 201 }, s.cloud('/events/filter')), 422);
    assert.equal(await status({ filter: { limit: 10 } }, s.oss('/events/filter')), 422, 'filter.limit is Cloud only');
    assert.equal(await status({ filter: { limit: 10, offset: 1 } }, s.cloud('/events/filter')), 200);
    assert.equal(await status({ filter: { offset: 5001 } }, s.cloud('/events/filter')), 422);
    assert.equal(await status({ filter: { text: { query: 'x'.repeat(201) } } }, s.oss('/events/filter')), 422);
    assert.equal(await status({ filter: { order: 'UP' } }, s.oss('/events/filter')), 422);
    assert.equal(await status({ filter: null }, s.oss('/events/filter')), 200);
    assert.equal((await s.request('POST', s.oss('/events/filter'))).statusCode, 200, 'no body at all');
  });

  it('uses the default window of Prefect OSS: 180 days back from the start of today', async () => {
    const old = ev({ event: 'test.window.old', occurred: new Date(Date.now() - 200 * 86_400_000).toISOString() });
    const recent = ev({ event: 'test.window.recent', occurred: new Date(Date.now() - 100 * 86_400_000).toISOString() });
    await post([old, recent]);
    const names = async (url: string, f: Record<string, unknown> = {}) =>
      (await filter({ filter: { event: { prefix: ['test.window.'] }, ...f } }, url)).events.map((e) => e.event);
    assert.deepEqual(await names(s.oss('/events/filter')), ['test.window.recent']);
    assert.deepEqual(await names(s.cloud('/events/filter')), ['test.window.recent']);
    const wide = { occurred: { since: new Date(Date.now() - 400 * 86_400_000).toISOString() } };
    assert.deepEqual(
      await names(s.cloud('/events/filter'), wide),
      ['test.window.recent', 'test.window.old'],
      'no 14-day cap',
    );
  });
});
