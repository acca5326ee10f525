/** `sightline runs` and `sightline trace` as child processes against a server on a loopback port. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/cli.ts';
import { engines } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const r = await run(args, { SIGHTLINE_API_URL: '', PREFECT_API_URL: '', NO_COLOR: '', ...env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// The commands speak only HTTP: one engine is enough here (the routes under them are tested on
// every engine), and each child process costs a Node start-up.
describe('runs and trace commands', () => {
  let s: TestServer;
  let api: string;
  let parentId: string;
  before(async () => {
    s = await startServer(engines[0]);
    api = await s.listen();
    const c = new RunClient(s);
    const parentFlow = await c.flow('etl-parent');
    const parent = await c.run(parentFlow.id, { name: 'agile-chital', tags: ['nightly'] });
    parentId = parent.id;
    await c.setState(parent.id, 'RUNNING');
    const tracking = await c.call(
      'POST',
      '/task_runs/',
      { name: 'etl-subflow-0', flow_run_id: parent.id, task_key: 'etl_subflow-1', dynamic_key: '0' },
      201,
    );
    const subFlow = await c.flow('etl-subflow');
    const sub = await c.run(subFlow.id, { name: 'proficient-clam', parent_task_run_id: tracking.id });
    await c.setState(sub.id, 'RUNNING');
    const t1 = await c.call(
      'POST',
      '/task_runs/',
      { name: 'extract_rows-dd8', flow_run_id: sub.id, task_key: 'extract_rows-c8', dynamic_key: 'dd8', tags: ['db'] },
      201,
    );
    await c.setState(t1.id, 'RUNNING', {}, false, 'task_runs');
    await c.setState(t1.id, 'COMPLETED', {}, false, 'task_runs');
    await c.setState(sub.id, 'FAILED', { message: 'row 2 has a negative amount' });
    await c.setState(parent.id, 'FAILED');
    const other = await c.run((await c.flow('other-flow')).id, { name: 'lone-run' });
    await c.setState(other.id, 'RUNNING');
  });
  after(() => s.close());

  it('lists flow runs with flow, state, duration and tags, filtered by flow and state', async () => {
    const all = await cli(['runs', '--api', api]);
    assert.equal(all.code, 0, all.err);
    const lines = all.out.trim().split('\n');
    assert.match(lines[0], /^ID\s+FLOW\s+RUN\s+STATE\s+START\s+DURATION\s+TAGS$/);
    assert.equal(lines.length, 4);
    assert.ok(
      lines.some(
        (l) => l.startsWith(parentId) && /etl-parent\s+agile-chital\s+Failed/.test(l) && l.endsWith('nightly'),
      ),
    );
    const failed = await cli(['runs', '--state', 'failed', '--flow', 'etl-subflow'], { PREFECT_API_URL: api });
    assert.equal(failed.code, 0, failed.err);
    assert.deepEqual(
      failed.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[2]),
      ['proficient-clam'],
    );
    const byName = await cli(['runs', '--state', 'Running', '--api', api, '--json']);
    const rows = byName.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((r) => r.name),
      ['lone-run'],
    );
    const none = await cli(['runs', '--since', '2h', '--flow', 'nope', '--api', api]);
    assert.equal(none.out, '');
    assert.match(
      none.err,
      /^no flow runs of flow nope expected to start since \S+Z at http:\/\/127\.0\.0\.1:\d+\/api\n$/,
    );
    const bad = await cli(['runs', '--since', 'yesterday', '--api', api]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--since must be/);
  });

  it('prints the run tree: flow → tasks → subflows', async () => {
    const r = await cli(['trace', parentId, '--api', api]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^flow etl-parent \/ agile-chital {2}Failed {2}\S+ {2}\[nightly\]$/);
    assert.match(lines[1], /^└─ task etl-subflow-0 {2}Failed {2}\S+$/);
    assert.match(lines[2], /^ {3}└─ flow etl-subflow \/ proficient-clam {2}Failed {2}\S+$/);
    assert.match(lines[3], /^ {6}└─ task extract_rows-dd8 {2}Completed {2}\S+ {2}\[db\]$/);
    assert.ok(!r.out.includes('\x1b['), 'no colour when not on a terminal');
    const j = await cli(['trace', parentId, '--json', '--api', api]);
    const tree = JSON.parse(j.out);
    assert.equal(tree.kind, 'flow_run');
    assert.equal(tree.flow_name, 'etl-parent');
    assert.equal(tree.children[0].kind, 'task_run');
    assert.equal(tree.children[0].children[0].name, 'proficient-clam');
    assert.equal(tree.children[0].children[0].children[0].state_type, 'COMPLETED');
    const missing = await cli(['trace', '01a20588-0000-7000-8000-000000000000', '--api', api]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no flow run/);
    const notUuid = await cli(['trace', 'abc', '--api', api]);
    assert.equal(notUuid.code, 2);
    const down = await cli(['trace', parentId, '--api', 'http://127.0.0.1:9/api']);
    assert.equal(down.code, 2);
    assert.match(down.err, /cannot reach/);
  });
});
