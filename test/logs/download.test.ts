import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { postLogs } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

forEachEngine('flow-run log downloads', (engine) => {
  let server: TestServer;
  const run = uuid4();
  const task = uuid4();
  before(async () => {
    server = await startServer(engine);
    await postLogs(server, [
      { message: 'plain', timestamp: '2024-05-01T12:00:00Z', flow_run_id: run },
      {
        message: 'has, comma and "quotes"',
        timestamp: '2024-05-01T12:00:00.000001Z',
        flow_run_id: run,
        task_run_id: task,
        level: 40,
      },
      {
        message: 'two\nlines\r\nthree',
        timestamp: '2024-05-01T12:00:01.5Z',
        flow_run_id: run,
        level: 30,
        name: 'etl.step',
      },
      { message: '=SUM(A1:A9)', timestamp: '2024-05-01T12:00:02Z', flow_run_id: run, level: 25 },
      { message: '+1', timestamp: '2024-05-01T12:00:03Z', flow_run_id: run },
      { message: '-2', timestamp: '2024-05-01T12:00:04Z', flow_run_id: run },
      { message: '@cmd', timestamp: '2024-05-01T12:00:05Z', flow_run_id: run },
      { message: '\ttab', timestamp: '2024-05-01T12:00:06Z', flow_run_id: run },
      { message: '\rcr', timestamp: '2024-05-01T12:00:07Z', flow_run_id: run },
      { message: 'héllo ✓ a=b', timestamp: '2024-05-01T12:00:08Z', flow_run_id: run, level: 50 },
      { message: 'other run', timestamp: '2024-05-01T12:00:00Z', flow_run_id: uuid4() },
    ]);
  });
  after(() => server.close());

  const CSV =
    'timestamp,level,flow_run_id,task_run_id,message\r\n' +
    `2024-05-01 12:00:00+00:00,20,${run},,plain\r\n` +
    `2024-05-01 12:00:00.000001+00:00,40,${run},${task},"has, comma and ""quotes"""\r\n` +
    `2024-05-01 12:00:01.500000+00:00,30,${run},,"two\nlines\r\nthree"\r\n` +
    `2024-05-01 12:00:02+00:00,25,${run},,'=SUM(A1:A9)\r\n` +
    `2024-05-01 12:00:03+00:00,20,${run},,'+1\r\n` +
    `2024-05-01 12:00:04+00:00,20,${run},,'-2\r\n` +
    `2024-05-01 12:00:05+00:00,20,${run},,'@cmd\r\n` +
    `2024-05-01 12:00:06+00:00,20,${run},,'\ttab\r\n` +
    `2024-05-01 12:00:07+00:00,20,${run},,"'\rcr"\r\n` +
    `2024-05-01 12:00:08+00:00,50,${run},,héllo ✓ a=b\r\n`;

  it('streams Prefect’s CSV, oldest first, with formula-like cells defused', async () => {
    for (const path of [
      server.oss(`/flow_runs/${run}/logs/download`),
      server.cloud(`/flow_runs/${run}/logs/download`),
      server.cloud(`/flow_runs/${run}/download-logs-csv`),
      server.oss(`/flow_runs/${run}/download-logs-csv`),
    ]) {
      const res = await server.request('GET', path);
      assert.equal(res.statusCode, 200, path);
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      // Logs alone do not name the run: its id does (Prefect's generic name would clash).
      assert.equal(res.headers['content-disposition'], `attachment; filename="flow-run-${run}-logs.csv"`);
      assert.equal(res.body, CSV, path);
    }
  });

  it('renders plain text with ?format=text: one line per log, continuation lines indented', async () => {
    const res = await server.request('GET', server.oss(`/flow_runs/${run}/logs/download?format=text`));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers['content-disposition'], `attachment; filename="flow-run-${run}-logs.txt"`);
    const lines = res.body.split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      '2024-05-01T12:00:00.000000Z INFO prefect.flow_runs plain',
      '2024-05-01T12:00:00.000001Z ERROR prefect.flow_runs has, comma and "quotes"',
      '2024-05-01T12:00:01.500000Z WARNING etl.step two',
      '    lines',
      '    three',
      '2024-05-01T12:00:02.000000Z 25 prefect.flow_runs =SUM(A1:A9)',
    ]);
    assert.equal(lines.at(-2), '2024-05-01T12:00:08.000000Z CRITICAL prefect.flow_runs héllo ✓ a=b');
    assert.equal(lines.at(-1), '', 'ends with a newline');
  });

  it('answers 404 Flow run not found for an id with neither a flow run nor logs, and 422 for an unknown format', async () => {
    for (const path of [
      server.oss(`/flow_runs/${uuid4()}/logs/download`),
      server.cloud(`/flow_runs/${uuid4()}/download-logs-csv`),
    ]) {
      const res = await server.request('GET', path);
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { detail: 'Flow run not found' });
    }
    const bad = await server.request('GET', server.oss(`/flow_runs/${run}/logs/download?format=xlsx`));
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().exception_detail[0].loc, ['query', 'format']);
  });
});

forEachEngine('downloads of a recorded flow run', (engine) => {
  let server: TestServer;
  before(async () => {
    server = await startServer(engine);
  });
  after(() => server.close());

  it('names the file after the run and answers a run without logs with the header alone', async () => {
    const flow = await server.request('POST', server.oss('/flows/'), { name: 'etl' });
    const created = await server.request('POST', server.oss('/flow_runs/'), {
      flow_id: flow.json().id,
      name: 'witty fox/1',
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    const empty = await server.request('GET', server.oss(`/flow_runs/${id}/logs/download`));
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.body, 'timestamp,level,flow_run_id,task_run_id,message\r\n');
    assert.equal(
      empty.headers['content-disposition'],
      `attachment; filename="witty_fox_1-logs.csv"; filename*=UTF-8''witty%20fox/1-logs.csv`,
    );
    await postLogs(server, [{ message: 'hello', flow_run_id: id }]);
    const text = await server.request('GET', server.cloud(`/flow_runs/${id}/logs/download?format=text`));
    assert.equal(
      text.headers['content-disposition'],
      `attachment; filename="witty_fox_1-logs.txt"; filename*=UTF-8''witty%20fox/1-logs.txt`,
    );
    assert.match(text.body, / INFO prefect\.flow_runs hello\n$/);
  });
});

forEachEngine('a 1M-line CSV download', (engine) => {
  // The streaming code is the same above every engine (keyset pages through the store contract,
  // whose paging the conformance suite checks on each engine). Loading a million rows into
  // PostgreSQL takes the better part of a minute, so it streams 300,000 here; the benchmark
  // measures its million-line download.
  const LINES = engine.name === 'sqlite' ? 1_000_000 : 300_000;
  // Long enough lines that a page is big next to the socket buffers: a paused client then stops
  // the server after a few dozen pages, however slow a page read is on a loaded machine.
  const PAD = ' '.padEnd(engine.name === 'sqlite' ? 60 : 160, 'x');
  let server: TestServer;
  let base: string;
  const run = uuid4();
  let pagesRead = 0;
  before(async () => {
    server = await startServer(engine);
    base = await server.listen();
    // The text index is not what this test is about; keep it from competing for the database.
    await server.app.indexer.stop();
    const { store } = server.app;
    const ws = server.workspaceId;
    const T = 1_714_564_800_000_000;
    for (let i = 0; i < LINES; i += 20_000) {
      const batch: NewLog[] = [];
      for (let j = i; j < i + 20_000; j++) {
        batch.push({
          workspaceId: ws,
          id: uuid7(),
          created: T,
          name: 'bulk',
          level: 20,
          message: `line ${j}${PAD}`,
          timestamp: T + j,
          flow_run_id: run,
          task_run_id: null,
          worker_id: null,
        });
      }
      await store.logs.append(batch);
    }
    // Count the pages the server reads, to see it read only as fast as the client consumes.
    const filter = store.logs.filter.bind(store.logs);
    store.logs.filter = (w, q) => {
      pagesRead++;
      return filter(w, q);
    };
  });
  after(() => server.close());

  it('streams page by page at the client’s pace, with flat memory', { timeout: 300_000 }, async () => {
    // Retained memory, not garbage the collector has not reached yet: collect before measuring.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retained = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const heapBefore = retained();
    let heapWhilePaused = 0;
    const { lines, bytes, pagesWhilePaused } = await new Promise<{
      lines: number;
      bytes: number;
      pagesWhilePaused: number;
    }>((resolve, reject) => {
      httpGet(`${base}/flow_runs/${run}/logs/download`, (res) => {
        let lines = 0;
        let bytes = 0;
        let last = '';
        let pagesWhilePaused = -1;
        res.once('data', () => {
          // Stop reading: once the socket buffers are full, the server must stop reading pages
          // too. Wait until its page count has settled, then check it stays put.
          res.pause();
          const started = Date.now();
          let seen = pagesRead;
          let stableSince = Date.now();
          const poll = setInterval(() => {
            if (pagesRead !== seen) {
              seen = pagesRead;
              stableSince = Date.now();
            }
            const settled = Date.now() - stableSince >= 1000;
            if (!settled && Date.now() - started < 60_000) return;
            clearInterval(poll);
            pagesWhilePaused = settled ? seen : -1;
            heapWhilePaused = retained();
            res.resume();
          }, 50);
        });
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
          last = chunk.subarray(Math.max(0, chunk.length - 240)).toString();
        });
        res.on('end', () => {
          assert.match(last, new RegExp(`,line ${LINES - 1} x+\\r\\n$`));
          resolve({ lines, bytes, pagesWhilePaused });
        });
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(lines, LINES + 1, 'header and every log');
    assert.ok(pagesWhilePaused >= 0, 'the server kept reading pages while the client paused');
    assert.ok(
      pagesWhilePaused < LINES / 1000 - 100,
      `read ${pagesWhilePaused} of ${LINES / 1000} pages before the socket buffers filled`,
    );
    assert.equal(pagesRead, LINES / 1000 + 1, 'pages of 1000, and one empty read at the end');
    const growth = Math.max(heapWhilePaused, retained()) - heapBefore;
    assert.ok(
      growth < 32e6,
      `${(growth / 1e6).toFixed(1)} MB retained during a ${(bytes / 1e6).toFixed(0)} MB download`,
    );
  });
});
