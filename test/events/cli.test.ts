import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { CHILD_DEADLINE_MS, run as runCli, spawnCli } from '../helpers/cli.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev } from './helpers.ts';

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(['events', ...args], { PREFECT_API_URL: '', SIGHTLINE_API_URL: '', ...env });

forEachEngine('sightline events (CLI)', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine);
    api = await s.listen();
    const t = (m: number) => new Date(Date.now() - (10 - m) * 60_000).toISOString();
    const events = [
      ev({
        event: 'cli.one',
        occurred: t(1),
        resource: { 'prefect.resource.id': 'prefect.flow-run.r1', 'prefect.resource.name': 'calm-heron' },
      }),
      ev({ event: 'cli.two', occurred: t(2), resource: { 'prefect.resource.id': 'prefect.flow-run.r2' } }),
      ev({ event: 'other.three', occurred: t(3), resource: { 'prefect.resource.id': 'prefect.flow-run.r1' } }),
      ev({ event: 'cli.old', occurred: new Date(Date.now() - 3 * 86_400_000).toISOString() }),
    ];
    assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
  });
  after(() => s.close());

  it('prints recent matching events oldest first, in text or JSON lines', async () => {
    const text = await run(['--api', api, '--event', 'cli.', '--since', '1d']);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /cli\.one {2}prefect\.flow-run\.r1 \(calm-heron\)$/);
    assert.match(lines[1], /cli\.two {2}prefect\.flow-run\.r2$/);
    const json = await run(['--json', '--resource', 'prefect.flow-run.r1', '--limit', '1'], { PREFECT_API_URL: api });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).event),
      ['other.three'],
      'PREFECT_API_URL is honoured',
    );
    const filtered = await run(['--filter', JSON.stringify({ event: { name: ['cli.old'] } }), '--json'], {
      SIGHTLINE_API_URL: api,
    });
    assert.deepEqual(
      filtered.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).event),
      ['cli.old'],
    );
  });

  it('says what it searched when nothing matches', async () => {
    const none = await run(['--api', api, '--event', 'nothing.', '--since', '2026-01-01T00:00:00Z']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, `no events named nothing.… since 2026-01-01T00:00:00Z at ${api}\n`);
    const recent = await run(['--api', api, '--resource', 'nowhere']);
    assert.match(recent.stderr, /^no events of nowhere in the server's default window, .*--since looks further back/);
  });

  it('reports bad input and unreachable servers clearly', async () => {
    const bad = await run(['--api', api, '--since', 'yesterday-ish']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since/);
    const badFilter = await run(['--api', api, '--filter', '{"nope": 1}']);
    assert.notEqual(badFilter.code, 0);
    assert.match(badFilter.stderr, /422/);
    const down = await run(['--api', 'http://127.0.0.1:9/api']);
    assert.notEqual(down.code, 0);
    assert.match(down.stderr, /cannot reach/);
  });

  it('follows new events until interrupted', async () => {
    // --limit 0: nothing is listed first, so every printed event came through the live stream.
    const follower = spawnCli(['events', '--api', api, '--event', 'follow.', '--follow', '--json', '--limit', '0']);
    // Keep posting until the follower (once connected) prints one.
    const deadline = Date.now() + CHILD_DEADLINE_MS;
    while (!follower.stdout().includes('follow.live') && Date.now() < deadline) {
      await s.request('POST', s.oss('/events'), [ev({ event: 'follow.live', occurred: new Date().toISOString() })]);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(follower.stdout(), /"event":"follow\.live"/, follower.stderr());
    follower.child.kill('SIGINT');
    assert.equal(await follower.exit, 0, follower.stderr());
    const ids = follower
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    assert.equal(new Set(ids).size, ids.length, 'no event printed twice');
  });
});
