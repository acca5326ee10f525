/**
 * A SIGKILL in the middle of `sightline retention run` leaves a consistent store, and the next
 * sweep finishes the work: on both engines, against a database a server keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, it } from 'node:test';
import type { Store } from '../../src/store/contract.ts';
import { ev, related } from '../events/helpers.ts';
import { CHILD_DEADLINE_MS, CLI, run } from '../helpers/cli.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3_600_000;
const LOGGERS = ['app.a', 'app.b', 'app.c'];

/** Logger statistics and per-run counters equal what the remaining logs say (store contract). */
async function assertLogsTrue(store: Store, ws: string, runs: string[]): Promise<void> {
  for (const l of await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 100 })) {
    const filter = { operator: 'and_' as const, loggers: { any_: [l.name] } };
    assert.equal(l.count, await store.logs.count(ws, filter), l.name);
    const first = await store.logs.filter(ws, { filter, sort: 'TIMESTAMP_ASC', limit: 1, offset: 0 });
    const last = await store.logs.filter(ws, { filter, sort: 'TIMESTAMP_DESC', limit: 1, offset: 0 });
    assert.deepEqual([l.firstSeen, l.lastSeen], [first[0].timestamp, last[0].timestamp], l.name);
  }
  for (const id of runs) {
    const n = await store.logs.count(ws, { operator: 'and_', flow_run_id: { any_: [id] } });
    assert.equal((await store.logs.runStats(ws, id))?.count ?? 0, n, `run ${id}`);
  }
}

forEachEngine('retention: SIGKILL mid-sweep', (engine) => {
  let s: TestServer;
  const runs = ['0b7c5f4e-0c1d-4b59-9a59-3c2f1b6a1001', '0b7c5f4e-0c1d-4b59-9a59-3c2f1b6a1002'];
  // The retention cutoff is yesterday noon (UTC): expired rows lie before it and kept ones after it
  // on the same day, so no whole day is expired (PostgreSQL would empty it in one transaction)
  // whatever the time of day the test runs at.
  const now = Date.now();
  const cutoff = Math.floor(now / (24 * HOUR)) * 24 * HOUR - 12 * HOUR;
  const keep = `${Math.round((now - cutoff) / 1000)}s`;

  before(async () => {
    s = await startServer(engine);
    for (let b = 0; b < 6; b++) {
      const logs = Array.from({ length: 1000 }, (_, i) => ({
        name: LOGGERS[i % 3],
        level: i % 7 === 0 ? 40 : 20,
        message: `line ${b}.${i}`,
        // Two thirds old (past the cutoff), one third kept.
        timestamp: new Date(cutoff + (i % 3 === 2 ? 1 : -(0.1 + (b * 1000 + i) / 10_000)) * HOUR).toISOString(),
        flow_run_id: runs[i % 2],
      }));
      assert.equal((await s.request('POST', s.oss('/logs/'), logs)).statusCode, 201);
    }
    const events = Array.from({ length: 600 }, (_, i) =>
      ev({
        event: `k.${i % 4}`,
        occurred: new Date(cutoff + (i % 3 === 2 ? 1 : -(0.1 + i / 1000)) * HOUR).toISOString(),
        related: [related(`prefect.tag.t${i % 5}`, 'tag')],
      }),
    );
    assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
  });
  after(() => s?.close());

  it('is killed after some batches, stays consistent, and the next sweep finishes', async () => {
    const ws = s.workspaceId;
    const store = s.app.store;
    const total = await store.logs.count(ws, { operator: 'and_' });
    const recent = await store.logs.count(ws, {
      operator: 'and_',
      timestamp: { after_: cutoff * 1000 },
    });
    const args = [CLI, 'retention', 'run', '--db', s.config.db, '--retention-logs', keep, '--retention-events', keep];
    const child = spawn(process.execPath, [...args, '--retention-batch', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    const deadline = Date.now() + CHILD_DEADLINE_MS;
    // Killed as soon as some logs went (the whole sweep takes hundreds of transactions).
    while ((await store.logs.count(ws, { operator: 'and_' })) === total) {
      assert.ok(Date.now() < deadline, `the sweep never started: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the sweep finished before the kill: ${err}`);
    const left = await store.logs.count(ws, { operator: 'and_' });
    // Mid-way: some expired logs went, some are still there (how far it got depends on the machine's load).
    assert.ok(left < total && left > recent, `killed mid-way: ${left} of ${total} left, ${recent} recent`);
    await assertLogsTrue(store, ws, runs);
    // The next sweep resumes and finishes.
    const again = await run([...args.slice(1)], { SIGHTLINE_DB: undefined, SIGHTLINE_DATA_DIR: undefined });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await store.logs.count(ws, { operator: 'and_' }), recent);
    await assertLogsTrue(store, ws, runs);
    const scope = { kind: 'workspace' as const, accountId: s.accountId, workspaceId: ws };
    const filter = { since: 0, until: (now + HOUR) * 1000 };
    for (const key of ['event', 'time'] as const) {
      const buckets = key === 'time' ? { origin: 0, width: 3_600_000_000 } : undefined;
      const viaRollups = await store.events.countBy(scope, key, filter, buckets);
      const exact = await store.events.countBy(scope, key, { ...filter, any_resource: [{}] }, buckets);
      const norm = (r: { value: string; count: number }[]) => r.map((x) => [x.value, x.count]).sort();
      assert.deepEqual(norm(viaRollups), norm(exact), key);
    }
  });
});
