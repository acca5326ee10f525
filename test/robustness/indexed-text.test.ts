/**
 * Found by the fuzzer (issue 13): text that does not compress (here: CJK characters at random) and
 * is longer than a PostgreSQL B-tree entry can hold made every keyed or indexed field a 500 there,
 * and was accepted on SQLite. Such text is now at most 1,024 bytes (UTF-8), the same on both
 * engines; many or long tags on a run are stored on both.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Rng } from '../fuzz/rng.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const rng = new Rng(13);
const noise = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x4e00 + rng.int(0x5000))).join('');
const now = () => new Date().toISOString();

forEachEngine('keyed and indexed text', (engine) => {
  let s: TestServer;
  let c: RunClient;
  let flowId: string;
  let runId: string;
  before(async () => {
    s = await startServer(engine);
    c = new RunClient(s);
    flowId = (await c.flow('indexed-text')).id;
    runId = (await c.run(flowId)).id;
  });
  after(() => s.close());

  it('is refused over 1,024 bytes with a 422 naming the field, on every resource', async () => {
    const big = noise(1500);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/logs/', [{ name: big, level: 20, message: 'm', timestamp: now() }], 'body.0.name'],
      [
        'POST',
        '/events',
        [{ id: crypto.randomUUID(), event: noise(400), occurred: now(), resource: { 'prefect.resource.id': 'r' } }],
        'body.0.event',
      ],
      [
        'POST',
        '/events',
        [{ id: crypto.randomUUID(), event: 'x', occurred: now(), resource: { 'prefect.resource.id': big } }],
        'body.0.resource',
      ],
      [
        'POST',
        '/events',
        [
          {
            id: crypto.randomUUID(),
            event: 'x',
            occurred: now(),
            resource: { 'prefect.resource.id': 'r' },
            related: [{ 'prefect.resource.id': `prefect.tag.${big}`, 'prefect.resource.role': 'tag' }],
          },
        ],
        'body.0.related.0',
      ],
      ['POST', '/flows/', { name: big }, 'body.name'],
      ['POST', '/task_runs/', { flow_run_id: runId, task_key: big, dynamic_key: '0' }, 'body.task_key'],
      ['POST', '/flow_runs/', { flow_id: flowId, idempotency_key: big }, 'body.idempotency_key'],
      ['POST', '/flow_runs/', { flow_id: flowId, tags: [big] }, 'body.tags.0'],
      ['POST', `/flow_runs/${runId}/set_state`, { state: { type: 'RUNNING', name: big } }, 'body.state.name'],
    ];
    for (const [method, path, body, loc] of cases) {
      const r = await s.request(method as 'POST', s.oss(path), body);
      assert.equal(r.statusCode, 422, `${path}: ${r.body.slice(0, 300)}`);
      assert.deepEqual(JSON.parse(r.body).exception_detail[0].loc.join('.'), loc);
    }
    const ok = await s.request('POST', s.oss('/logs/'), [
      { name: noise(340), level: 20, message: big, timestamp: now() },
    ]);
    assert.equal(ok.statusCode, 201, 'a 1,020-byte logger name and any message are stored');
  });

  it('stores runs with many long tags, and their spans', async () => {
    const tags = Array.from({ length: 100 }, () => noise(40));
    const run = await c.run(flowId, { tags });
    const task = await c.call(
      'POST',
      '/task_runs/',
      { flow_run_id: run.id, task_key: 'k', dynamic_key: '0', tags },
      201,
    );
    assert.deepEqual((await c.getRun(run.id)).tags, tags);
    const span = await s.request('GET', s.oss(`/spans/lookup/${task.id}`));
    assert.equal(span.statusCode, 200, span.body);
    const observed = await s.request('GET', s.oss(`/traces/${run.id}/observed-tags`));
    assert.equal(observed.statusCode, 200, observed.body);
    assert.equal(JSON.parse(observed.body).length, 100);
  });
});
