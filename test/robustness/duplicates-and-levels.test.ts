/**
 * Issue 13, defect 12 (data parts), decided after Prefect: two events with the same id in one batch
 * store the first and acknowledge the batch (Prefect's PostgreSQL insert skips conflicting rows
 * the same way; a resent id is a no-op). A log `level` is any integer PostgreSQL's `integer`
 * holds, negative ones included, and a numeric string counts as its number (pydantic's lax `int`).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { logItem } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

forEachEngine('duplicate event ids and log levels', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('keeps the first of two events with one id in a batch, and acknowledges the batch', async () => {
    const id = uuid7();
    const r = await s.request('POST', s.cloud('/events'), [
      ev({ id, event: 'dup.first' }),
      ev({ id, event: 'dup.second' }),
      ev({ event: 'dup.other' }),
    ]);
    assert.equal(r.statusCode, 204, r.body);
    const page = JSON.parse(
      (await s.request('POST', s.cloud('/events/filter'), { filter: { event: { prefix: ['dup.'] } } })).body,
    );
    assert.deepEqual(page.events.map((e: { event: string }) => e.event).sort(), ['dup.first', 'dup.other']);
    assert.equal(page.events.find((e: { id: string }) => e.id === id).event, 'dup.first');
  });

  it('accepts negative levels and numeric strings, and refuses other levels', async () => {
    const run = uuid4();
    const r = await s.request('POST', s.oss('/logs/'), [
      logItem({ flow_run_id: run, level: -5 }),
      { ...logItem({ flow_run_id: run }), level: '20' },
      { ...logItem({ flow_run_id: run }), level: 30.0 },
    ]);
    assert.equal(r.statusCode, 201, r.body);
    const logs = JSON.parse((await s.request('GET', s.oss(`/flow_runs/${run}/logs`))).body);
    assert.deepEqual(
      logs.map((l: { level: number }) => l.level).sort((a: number, b: number) => a - b),
      [-5, 20, 30],
    );
    for (const level of ['twenty', 20.5, true, null, '', 2147483648, -2147483649]) {
      const bad = await s.request('POST', s.oss('/logs/'), [{ ...logItem(), level }]);
      assert.equal(bad.statusCode, 422, `${JSON.stringify(level)}: ${bad.body}`);
      assert.deepEqual(JSON.parse(bad.body).exception_detail[0].loc, ['body', 0, 'level']);
    }
  });
});
