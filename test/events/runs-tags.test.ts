import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev, related } from './helpers.ts';

forEachEngine("events: a flow run's events, and tags", (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  const run = 'cccccccc-0000-4000-8000-000000000001';
  const otherRun = 'cccccccc-0000-4000-8000-000000000002';
  const post = async (events: unknown[]) =>
    assert.equal((await s.request('POST', s.cloud('/events'), events)).statusCode, 204);

  it("pages a run's events with and without task runs, with the event count as ETag and a 304 cycle", async () => {
    const flowRes = { 'prefect.resource.id': `prefect.flow-run.${run}` };
    const t = (i: number) => new Date(Date.parse('2025-06-01T00:00:00Z') + i * 1000).toISOString();
    const own = [0, 2, 4].map((i) => ev({ event: `prefect.flow-run.S${i}`, occurred: t(i), resource: flowRes }));
    const tasks = [1, 3].map((i) =>
      ev({
        event: `prefect.task-run.S${i}`,
        occurred: t(i),
        resource: { 'prefect.resource.id': `prefect.task-run.t${i}` },
        related: [related(`prefect.flow-run.${run}`, 'flow-run')],
      }),
    );
    const noise = [
      ev({ occurred: t(5), resource: { 'prefect.resource.id': `prefect.flow-run.${otherRun}` } }),
      ev({
        occurred: t(6),
        resource: { 'prefect.resource.id': 'prefect.deployment.d' },
        related: [related(`prefect.flow-run.${run}`, 'flow-run')],
      }),
      ev({
        occurred: t(7),
        resource: { 'prefect.resource.id': 'prefect.task-run.tx' },
        related: [related(`prefect.flow-run.${run}`, 'other-role')],
      }),
    ];
    await post([...own, ...tasks, ...noise]);
    const url = (q = '') => s.cloud(`/flow_runs/${run}/events${q}`);
    let r = await s.request('GET', url());
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers.etag, '"5"');
    let body = r.json();
    assert.equal(body.total, 5);
    assert.deepEqual(
      body.events.map((e: { event: string }) => e.event),
      ['S4', 'S3', 'S2', 'S1', 'S0'].map((x) =>
        x === 'S3' || x === 'S1' ? `prefect.task-run.${x}` : `prefect.flow-run.${x}`,
      ),
    );
    r = await s.request('GET', url('?with_task_runs=false&order=ASC'));
    assert.equal(r.headers.etag, '"3"');
    assert.deepEqual(
      r.json().events.map((e: { event: string }) => e.event),
      ['prefect.flow-run.S0', 'prefect.flow-run.S2', 'prefect.flow-run.S4'],
    );
    r = await s.request('GET', url('?limit=2&offset=1&order=ASC'));
    body = r.json();
    assert.deepEqual(
      body.events.map((e: { event: string }) => e.event),
      ['prefect.task-run.S1', 'prefect.flow-run.S2'],
    );
    assert.ok(body.next_page.endsWith(`/flow_runs/${run}/events?offset=3&limit=2&order=ASC&with_task_runs=true`));
    for (const etag of ['5', '"5"', 'W/"5"', '"1", "5"']) {
      const nm = await s.request('GET', url(), undefined, { 'if-none-match': etag });
      assert.equal(nm.statusCode, 304, etag);
      assert.equal(nm.body, '');
    }
    assert.equal((await s.request('GET', url(), undefined, { 'if-none-match': '"4"' })).statusCode, 200);
    await post([ev({ occurred: t(8), resource: flowRes }), own[0]]);
    const after = await s.request('GET', url(), undefined, { 'if-none-match': '"5"' });
    assert.equal(after.statusCode, 200, 'a new event changes the ETag; a duplicate does not count');
    assert.equal(after.headers.etag, '"6"');
    for (const q of ['?limit=0', '?limit=201', '?offset=5001', '?order=UP'])
      assert.equal((await s.request('GET', url(q))).statusCode, 422, q);
    assert.equal((await s.request('GET', s.cloud('/flow_runs/not-a-uuid/events'))).statusCode, 404);
    const none = await s.request('GET', s.cloud('/flow_runs/cccccccc-0000-4000-8000-00000000dead/events'));
    assert.equal(none.headers.etag, '"0"');
    assert.deepEqual(none.json(), { events: [], total: 0, next_page: null });
  });

  it('indexes tags from events: upsert, search, sort, paging and delete', async () => {
    const tag = (n: string) => related(`prefect.tag.${n}`, 'tag');
    const t = (d: number) => `2025-07-0${d}T00:00:00Z`;
    await post([
      ev({ occurred: t(2), related: [tag('nightly'), tag('team-a')] }),
      ev({ occurred: t(1), related: [tag('nightly'), related('prefect.tag.ignored', 'flow')] }),
      ev({ occurred: t(5), related: [tag('Night-Owl'), tag('nightly')] }),
      ev({ occurred: t(3), related: [tag('team-b'), related('prefect.flow.x', 'tag')] }),
    ]);
    const list = async (q = '') => {
      const r = await s.request('GET', s.cloud(`/tags${q}`));
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };
    const all = await list();
    assert.deepEqual(
      all.results.map((x: { name: string }) => x.name),
      ['Night-Owl', 'nightly', 'team-b', 'team-a'],
      'LAST_SEEN_DESC by default',
    );
    assert.deepEqual(all.results[1], { name: 'nightly', first_seen: t(1), last_seen: t(5) });
    assert.deepEqual(
      { count: all.count, limit: all.limit, pages: all.pages, page: all.page },
      { count: 4, limit: 200, pages: 1, page: 1 },
    );
    assert.deepEqual(
      (await list('?sort=NAME_ASC')).results.map((x: { name: string }) => x.name),
      ['Night-Owl', 'nightly', 'team-a', 'team-b'],
    );
    assert.deepEqual(
      (await list('?sort=NAME_DESC')).results.map((x: { name: string }) => x.name),
      ['team-b', 'team-a', 'nightly', 'Night-Owl'],
    );
    assert.deepEqual(
      (await list('?sort=LAST_SEEN_ASC')).results.map((x: { name: string }) => x.name),
      ['team-a', 'team-b', 'Night-Owl', 'nightly'],
      'ties by name',
    );
    assert.deepEqual(
      (await list('?search=NIGHT&sort=NAME_ASC')).results.map((x: { name: string }) => x.name),
      ['Night-Owl', 'nightly'],
    );
    const paged = await list('?sort=NAME_ASC&limit=3&page=2');
    assert.deepEqual(
      {
        names: paged.results.map((x: { name: string }) => x.name),
        count: paged.count,
        pages: paged.pages,
        page: paged.page,
      },
      { names: ['team-b'], count: 4, pages: 2, page: 2 },
    );
    assert.equal((await s.request('DELETE', s.cloud('/tags?tag=team-a'))).statusCode, 204);
    assert.equal((await s.request('DELETE', s.cloud('/tags?tag=never-seen'))).statusCode, 204);
    assert.equal((await s.request('DELETE', s.cloud('/tags'))).statusCode, 422);
    assert.deepEqual(
      (await list('?sort=NAME_ASC')).results.map((x: { name: string }) => x.name),
      ['Night-Owl', 'nightly', 'team-b'],
    );
    const stillThere = await s.request('POST', s.cloud('/events/filter'), {
      filter: { related: { id: ['prefect.tag.team-a'] }, occurred: { since: '2025-01-01T00:00:00Z' } },
    });
    assert.equal(stillThere.json().total, 1, 'deleting a tag never rewrites events');
    await post([ev({ occurred: t(6), related: [tag('team-a')] })]);
    const back = (await list()).results[0];
    assert.deepEqual(
      back,
      { name: 'team-a', first_seen: t(6), last_seen: t(6) },
      'a deleted tag comes back, counted from its next event',
    );
    for (const q of ['?page=0', '?limit=0', '?limit=201', '?sort=NEWEST'])
      assert.equal((await s.request('GET', s.cloud(`/tags${q}`))).statusCode, 422, q);
  });
});
