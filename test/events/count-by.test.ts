import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev, related } from './helpers.ts';

type Row = { value: string; label: string; count: number; start_time: string; end_time: string };

forEachEngine('events: count-by', (engine) => {
  let s: TestServer;
  let wsB: string;
  // A fixed day in the past, away from "now": 2030 would be in the future, so use 2025.
  const day = '2025-03-10';
  const at = (hm: string, d = day) => `${d}T${hm}:00Z`;
  const actor = related('prefect-cloud.user.u1', 'actor', { 'prefect.resource.name': 'alice' });
  before(async () => {
    s = await startServer(engine);
    wsB = (
      await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, { name: 'Count B', handle: 'count-b' })
    ).json().workspace_id;
    const evs = [
      ev({
        event: 'cnt.a',
        occurred: at('00:10'),
        resource: { 'prefect.resource.id': 'res.1', 'prefect.resource.name': 'old-name' },
        related: [actor],
      }),
      ev({
        event: 'cnt.a',
        occurred: at('00:50'),
        resource: { 'prefect.resource.id': 'res.1', 'prefect.resource.name': 'new-name' },
      }),
      ev({
        event: 'cnt.b',
        occurred: at('01:30'),
        resource: { 'prefect.resource.id': 'res.2', 'prefect.name': 'legacy' },
        related: [actor],
      }),
      ev({ event: 'cnt.a', occurred: at('23:59'), resource: { 'prefect.resource.id': 'res.3' } }),
      ev({ event: 'cnt.c', occurred: at('00:00', '2025-03-11'), resource: { 'prefect.resource.id': 'res.1' } }),
      ev({ event: 'cnt.b', occurred: at('12:00', '2025-03-12'), resource: { 'prefect.resource.id': 'res.2' } }),
    ];
    assert.equal((await s.request('POST', s.oss('/events'), evs)).statusCode, 204);
    await s.request('POST', s.cloud('/events', wsB), [
      ev({ event: 'cnt.a', occurred: at('05:00'), resource: { 'prefect.resource.id': 'res.9' } }),
    ]);
    await s.request('POST', `/api/accounts/${s.accountId}/events`, [
      ev({ event: 'cnt.acct', occurred: at('06:00'), resource: { 'prefect.resource.id': 'acct.1' } }),
    ]);
  });
  after(() => s.close());

  const count = async (
    countable: string,
    body: Record<string, unknown>,
    url = s.oss(`/events/count-by/${countable}`),
  ): Promise<Row[]> => {
    const r = await s.request('POST', url, body);
    assert.equal(r.statusCode, 200, r.body);
    return r.json();
  };
  const window = (since: string, until: string, extra: Record<string, unknown> = {}) => ({
    filter: { occurred: { since, until }, event: { prefix: ['cnt.'] }, ...extra },
  });

  it('counts by day: every bucket from since to until, empty ones with 0, aligned to UTC days', async () => {
    const rows = await count('day', window(`${day}T00:00:00Z`, '2025-03-13T23:59:59.999999Z'));
    assert.deepEqual(
      rows.map((r) => [r.label, r.count]),
      [
        ['2025-03-10T00:00:00Z', 4],
        ['2025-03-11T00:00:00Z', 1],
        ['2025-03-12T00:00:00Z', 1],
        ['2025-03-13T00:00:00Z', 0],
      ],
    );
    assert.equal(rows[0].end_time, '2025-03-10T23:59:59.999999Z');
    // The pivot is 2024-04-01: 2025-03-10 is day 343 after it.
    assert.equal(rows[0].value, '343');
    // A window given in another time zone still buckets by UTC day, counting only inside it.
    const tz = await count('day', window('2025-03-10T01:00:00+02:00', '2025-03-11T01:00:00+02:00'));
    assert.deepEqual(
      tz.map((r) => [r.label, r.count]),
      [
        ['2025-03-09T00:00:00Z', 0],
        ['2025-03-10T00:00:00Z', 3],
      ],
      '23:00Z on the 9th to 23:00Z on the 10th: the 23:59 event is outside',
    );
  });

  it('counts by time with units and intervals, with rollups and partial-hour edges agreeing', async () => {
    const hours = await count('time', {
      ...window(`${day}T00:00:00Z`, `${day}T02:59:59Z`),
      time_unit: 'hour',
      time_interval: 1,
    });
    assert.deepEqual(
      hours.map((r) => r.count),
      [2, 1, 0],
    );
    const half = await count('time', {
      ...window(`${day}T00:30:00Z`, `${day}T01:59:59Z`),
      time_unit: 'minute',
      time_interval: 30,
    });
    assert.deepEqual(
      half.map((r) => [r.label, r.count]),
      [
        ['2025-03-10T00:30:00Z', 1],
        ['2025-03-10T01:00:00Z', 0],
        ['2025-03-10T01:30:00Z', 1],
      ],
    );
    // Edges cut through hours: 00:20–23:59:30 holds the 00:50, 01:30 and 23:59 events.
    const edges = await count('time', { ...window(`${day}T00:20:00Z`, `${day}T23:59:30Z`), time_unit: 'day' });
    assert.deepEqual(
      edges.map((r) => r.count),
      [3],
    );
    const fractional = await count('time', {
      ...window(`${day}T00:00:00Z`, `${day}T01:59:59Z`),
      time_unit: 'hour',
      time_interval: 1.5,
    });
    assert.equal(
      fractional.reduce((a, r) => a + r.count, 0),
      3,
    );
  });

  it('enforces the bucket and interval limits', async () => {
    const r = await s.request('POST', s.oss('/events/count-by/time'), {
      ...window('2025-01-01T00:00:00Z', '2025-03-01T00:00:00Z'),
      time_unit: 'minute',
    });
    assert.equal(r.statusCode, 422);
    assert.match(r.json().detail, /would create \d+ buckets/);
    const e = await s.request('POST', s.oss('/events/count-by/event'), { filter: {}, time_unit: 'second' });
    assert.equal(e.statusCode, 422, 'the check applies to every countable (default 180-day window in seconds)');
    assert.equal(
      (await s.request('POST', s.oss('/events/count-by/time'), { filter: {}, time_interval: 0.001 })).statusCode,
      422,
    );
    assert.equal((await s.request('POST', s.oss('/events/count-by/nope'), { filter: {} })).statusCode, 422);
    assert.equal(
      (await s.request('POST', s.oss('/events/count-by/event'), {})).statusCode,
      422,
      'OSS requires a filter',
    );
    assert.equal((await s.request('POST', s.cloud('/events/count-by/event'), {})).statusCode, 200, 'Cloud does not');
    const empty = await count('event', window('2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z'));
    assert.deepEqual(empty, []);
  });

  it('counts by event and by resource, sorted by count then label, with latest names', async () => {
    const w = window(`${day}T00:00:00Z`, '2025-03-12T23:59:59Z');
    const byEvent = await count('event', w);
    assert.deepEqual(
      byEvent.map((r) => [r.value, r.label, r.count]),
      [
        ['cnt.a', 'cnt.a', 3],
        ['cnt.b', 'cnt.b', 2],
        ['cnt.c', 'cnt.c', 1],
      ],
    );
    assert.equal(byEvent[0].start_time, '2025-03-10T00:10:00Z');
    assert.equal(byEvent[0].end_time, '2025-03-10T23:59:00Z');
    const byResource = await count('resource', w);
    assert.deepEqual(
      byResource.map((r) => [r.value, r.label, r.count]),
      [
        ['res.1', 'new-name', 3],
        ['res.2', 'legacy', 2],
        ['res.3', 'res.3', 1],
      ],
    );
    const onlyRes1 = await count(
      'event',
      window(`${day}T00:00:00Z`, '2025-03-12T23:59:59Z', { resource: { id: ['res.1'] } }),
    );
    assert.deepEqual(
      onlyRes1.map((r) => [r.value, r.count]),
      [
        ['cnt.a', 2],
        ['cnt.c', 1],
      ],
    );
    const exact = await count(
      'event',
      window(`${day}T00:00:00Z`, '2025-03-12T23:59:59Z', { text: { query: 'new-name' } }),
    );
    assert.deepEqual(
      exact.map((r) => [r.value, r.count]),
      [['cnt.a', 1]],
      'filters outside the rollups count exactly',
    );
  });

  it('counts by actor and by workspace, at workspace and account scope', async () => {
    const w = window(`${day}T00:00:00Z`, '2025-03-12T23:59:59Z');
    const actors = await count('actor', w);
    assert.deepEqual(
      actors.map((r) => [r.value, r.label, r.count]),
      [
        ['', '(no actor)', 4],
        ['prefect-cloud.user.u1', 'alice', 2],
      ],
    );
    const acctUrl = `/api/accounts/${s.accountId}/events/count-by/workspace`;
    const acct = await count('workspace', window(`${day}T00:00:00Z`, '2025-03-12T23:59:59Z'), acctUrl);
    assert.deepEqual(
      acct.map((r) => [r.value, r.label, r.count]),
      [
        [s.workspaceId, 'default', 6],
        ['', '(account)', 1],
        [wsB, 'Count B', 1],
      ],
    );
    const mine = await count('workspace', w);
    assert.deepEqual(
      mine.map((r) => [r.value, r.count]),
      [[s.workspaceId, 6]],
      'workspace scope sees itself only',
    );
    const acctEvents = await count(
      'event',
      { filter: { occurred: { since: `${day}T00:00:00Z`, until: '2025-03-12T23:59:59Z' } } },
      `/api/accounts/${s.accountId}/events/count-by/event`,
    );
    assert.equal(
      acctEvents.reduce((a, r) => a + r.count, 0),
      8,
    );
  });
});
