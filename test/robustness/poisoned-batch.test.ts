/**
 * Issue 13, defect 3: one client's bad items never fail another client's write. Values a database
 * would refuse are 422s before the writer; and an item that still fails a shared group commit
 * (here: a row the store's own constraints refuse, handed straight to the writer) fails only its
 * own request — every concurrent valid batch is acknowledged and stored, on both engines.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { logItem } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CLIENTS = 40;
const BATCHES = 5;
const PER_BATCH = 200;

forEachEngine('a poisoned batch fails only itself', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine);
    api = await s.listen();
  });
  after(() => s.close());

  it('acknowledges and stores every concurrent valid batch around poisoned ones', async () => {
    const run = uuid4();
    const post = (body: string) =>
      fetch(`${api}/logs/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const valid = (c: number, b: number) =>
      JSON.stringify(
        Array.from({ length: PER_BATCH }, (_, i) => logItem({ flow_run_id: run, message: `c${c} b${b} #${i}` })),
      );
    const poisoned = [
      `[{"name":"n","level":1e308,"message":"m","timestamp":"2024-05-01T12:00:00Z"}]`,
      `[{"name":"n","level":9223372036854775807,"message":"m","timestamp":"2024-05-01T12:00:00Z"}]`,
      `[{"name":"n\\u0000","level":20,"message":"\\ud800","timestamp":"9999-12-31T23:59:59.999999Z"}]`,
    ];
    // A row no validation would produce (a NULL name), handed to the shared writer in the same
    // turn as valid rows, so that all of them meet in one transaction.
    const row = (message: string): NewLog => ({
      workspaceId: s.workspaceId,
      id: uuid7(),
      created: Date.now() * 1000,
      name: 'direct',
      level: 20,
      message,
      timestamp: Date.now() * 1000,
      flow_run_id: run,
      task_run_id: null,
      worker_id: null,
    });
    const writer = s.app.services.logWriter;
    const direct = Promise.allSettled([
      writer.add([row('direct 1')]),
      writer.add([{ ...row('poison'), name: null as unknown as string }]),
      writer.add([row('direct 2')]),
    ]);

    const requests: Promise<Response>[] = [];
    for (let b = 0; b < BATCHES; b++) {
      for (let c = 0; c < CLIENTS; c++) requests.push(post(valid(c, b)));
      requests.push(post(poisoned[b % poisoned.length]));
    }
    const answers = await Promise.all(requests);
    const settled = await direct;

    const statuses = answers.map((r) => r.status);
    const expected = Array.from({ length: BATCHES }, () => [...Array(CLIENTS).fill(201), 422]).flat();
    assert.deepEqual(statuses, expected);
    assert.deepEqual(
      settled.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );

    let stored = 0;
    for (let offset = 0; ; offset += 200) {
      const page = await s.request('POST', s.oss('/logs/filter'), {
        logs: { flow_run_id: { any_: [run] } },
        offset,
        limit: 200,
      });
      const n = JSON.parse(page.body).length;
      stored += n;
      if (n < 200) break;
    }
    assert.equal(stored, CLIENTS * BATCHES * PER_BATCH + 2);
  });
});
