import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { type CliRun, spawnCli, until } from '../helpers/cli.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { isoAt, postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const cli = (args: string[], env: Record<string, string | undefined> = {}): CliRun =>
  spawnCli(args, { SIGHTLINE_API_URL: undefined, PREFECT_API_URL: undefined, ...env });

async function finished(run: CliRun): Promise<{ code: number | null; out: string; err: string }> {
  const code = await run.exit;
  return { code, out: run.stdout(), err: run.stderr() };
}

forEachEngine('sightline logs', (engine) => {
  let server: TestServer;
  let api: string;
  const run = uuid4();
  before(async () => {
    server = await startServer(engine);
    api = await server.listen();
    await postLogs(server, [
      { message: 'starting', timestamp: isoAt(0), flow_run_id: run },
      {
        message: 'step failed\nTraceback (most recent call last):\n  boom',
        timestamp: isoAt(1500),
        flow_run_id: run,
        level: 40,
        name: 'etl.step',
      },
      { message: 'detail', timestamp: isoAt(1000), flow_run_id: run, level: 10 },
      { message: 'someone else', timestamp: isoAt(0), flow_run_id: uuid4() },
    ]);
  });
  after(() => server.close());

  it('prints stored logs as text lines, oldest first, without colour when not on a terminal', async () => {
    const { code, out, err } = await finished(cli(['logs', run, '--api', api]));
    assert.equal(code, 0, err);
    assert.equal(
      out,
      '2024-05-01T12:00:00.000000Z INFO prefect.flow_runs starting\n' +
        '2024-05-01T12:00:01.000000Z DEBUG prefect.flow_runs detail\n' +
        '2024-05-01T12:00:01.500000Z ERROR etl.step step failed\n' +
        '    Traceback (most recent call last):\n' +
        '      boom\n',
    );
  });

  it('filters by level, logger, text and time, and prints JSON', async () => {
    const lines = async (...args: string[]) => {
      const { code, out, err } = await finished(cli(['logs', run, '--api', api, ...args]));
      assert.equal(code, 0, err);
      return out.trim().split('\n').filter(Boolean);
    };
    const messages = async (...args: string[]) => (await lines(...args, '--json')).map((l) => JSON.parse(l).message);
    assert.deepEqual(await lines('--level', 'error'), [
      '2024-05-01T12:00:01.500000Z ERROR etl.step step failed',
      '    Traceback (most recent call last):',
      '      boom',
    ]);
    assert.deepEqual(await messages('--logger', 'prefect.flow_runs', '--level', '15'), ['starting']);
    assert.deepEqual(await messages('--grep', 'detail starting', '--since', isoAt(500)), ['detail']);
    assert.deepEqual(await lines('--since', '1h'), [], 'a duration ago');
  });

  it('finds the server through --api, then SIGHTLINE_API_URL, then PREFECT_API_URL', async () => {
    const dead = 'http://127.0.0.1:9/api';
    const ok = async (args: string[], env: Record<string, string>) => {
      const { code, out, err } = await finished(cli(['logs', run, '--json', ...args], env));
      assert.equal(code, 0, err);
      assert.equal(out.trim().split('\n').length, 3);
    };
    await ok(['--api', api], { SIGHTLINE_API_URL: dead, PREFECT_API_URL: dead });
    await ok([], { SIGHTLINE_API_URL: api, PREFECT_API_URL: dead });
    await ok([], { PREFECT_API_URL: server.cloud('').replace(/^\/api/, api) });
    const fail = await finished(cli(['logs', run], { PREFECT_API_URL: dead }));
    assert.notEqual(fail.code, 0);
    assert.match(fail.err, /cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });

  it('pages through long runs, many logs sharing a timestamp, each printed once', async () => {
    const long = uuid4();
    await postLogs(
      server,
      Array.from({ length: 450 }, (_, i) => ({
        message: `n${i}`,
        timestamp: isoAt(Math.floor(i / 300) * 10),
        flow_run_id: long,
      })),
    );
    const { code, out } = await finished(cli(['logs', long, '--api', api, '--json']));
    assert.equal(code, 0);
    const got = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).message);
    assert.deepEqual(
      got,
      Array.from({ length: 450 }, (_, i) => `n${i}`),
    );
  });

  it('says what it searched when nothing matches, and that an unknown run is unknown', async () => {
    const none = await finished(cli(['logs', run, '--grep', 'zzz', '--level', 'error', '--api', api]));
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, '');
    assert.equal(none.err, `no logs of flow run ${run} at level error or above matching 'zzz'\n`);
    const unknown = uuid4();
    for (const follow of [[], ['--follow']]) {
      const r = await finished(cli(['logs', unknown, ...follow, '--api', api]));
      assert.equal(r.code, 2, r.err);
      assert.equal(r.err, `sightline: no flow run ${unknown} at ${api}: neither a run nor any log of it\n`);
    }
  });

  it('rejects bad arguments and reports server errors', async () => {
    for (const [args, pattern] of [
      [['logs'], /missing FLOW_RUN_ID/],
      [['logs', 'nope', '--level', 'loud'], /FLOW_RUN_ID must be a UUID/],
      [['logs', run, '--since', 'tomorrow'], /--since: not a time or duration/],
      [['logs', run, '--grep', 'x'.repeat(201)], /422: query\.text_query: String should have at most 200 characters/],
    ] as const) {
      const argv: string[] = [...args];
      const { code, err } = await finished(cli([...argv, ...(argv.includes('--api') ? [] : ['--api', api])]));
      assert.equal(code, 2, `${args.join(' ')}: ${err}`);
      assert.match(err, pattern);
    }
  });

  it('--follow prints stored then live logs with no gap and no duplicate at the seam', {
    timeout: 240_000,
  }, async () => {
    const live = uuid4();
    const posted: string[] = [];
    let writing = true;
    // A steady writer, running before, while and after the command connects and reads.
    const writer = (async () => {
      for (let i = 0; writing && i < 2000; i++) {
        const batch = [`w${i}a`, `w${i}b`];
        await postLogs(
          server,
          batch.map((message, j) => ({ message, flow_run_id: live, timestamp: isoAt((i * 2 + j) % 60_000) })),
        );
        posted.push(...batch);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await until(() => posted.length >= 40, 'the writer');
    const atStart = posted.length;
    const follow = cli(['logs', live, '--follow', '--json', '--api', api]);
    const printed = () =>
      follow
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).message as string);
    try {
      // Well past the seam: the command has printed logs written after it started.
      await until(() => printed().length >= atStart + 100, 'live logs');
      writing = false;
      await writer;
      await until(() => printed().length >= posted.length, `all ${posted.length} logs (${printed().length} printed)`);
      await new Promise((r) => setTimeout(r, 100));
      follow.child.kill('SIGINT');
      const { code, err } = await finished(follow);
      assert.equal(code, 0, err);
    } finally {
      writing = false;
      await writer;
      follow.child.kill('SIGKILL');
    }
    const got = printed();
    assert.equal(new Set(got).size, got.length, 'no duplicates');
    assert.deepEqual([...got].sort(), [...posted].sort(), 'nothing lost');
  });
});
