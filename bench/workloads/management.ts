/**
 * The flow-run management API (`/api/v1`): a list page among 100,000 runs, pages 1 and 5,000 of a
 * 1M-line run's logs (and the Prefect route's offset pages the UIs use, unfiltered and from a
 * minimum level), and the queued download of that run: its rate and the server's memory.
 */
import { formatMicros, nowMicros } from '../../src/domain/time.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { measureQuery, type QueryResult, type QuerySpec } from '../lib/measure.ts';
import { ProcSampler, readProc } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms } from '../lib/stats.ts';

const RUNS = 100_000;
const LINES = 1_000_000;
const GOALS = { list: 20, firstPage: 10, deepPage: 20 };

interface Row {
  label: string;
  goal?: number;
  r: QueryResult;
}

const dataCount = (b: string) => (JSON.parse(b) as { data: unknown[] }).data.length;

async function measure(url: string, pid: number, label: string, spec: QuerySpec, goal?: number): Promise<Row> {
  const r = await measureQuery(url, pid, spec, { clients: 1, requests: 300 });
  log(`  ${label}: p50 ${ms(r.p50)} p99 ${ms(r.p99)} ms, ${r.items.toFixed(0)} items`);
  return { label, goal, r };
}

async function loadRuns(apiUrl: string): Promise<void> {
  const http = new HttpClient(apiUrl, { connections: 4 });
  try {
    const flows: string[] = [];
    for (let i = 0; i < 20; i++)
      flows.push(JSON.parse((await http.ok('POST', 'flows/', JSON.stringify({ name: `flow-${i}` }))).body).id);
    let next = 0;
    await runClients(4, () => {
      if (next >= RUNS) return undefined;
      const i = next++;
      // Most runs ran (a start time to sort by); some are still scheduled.
      const state = i % 10 === 0 ? { type: 'SCHEDULED' } : { type: i % 7 === 0 ? 'FAILED' : 'RUNNING' };
      const body = { flow_id: flows[i % flows.length], name: `run-${i}`, state };
      return http.ok('POST', 'flow_runs/', JSON.stringify(body));
    });
  } finally {
    http.close();
  }
}

async function loadLines(apiUrl: string, run: string): Promise<void> {
  const http = new HttpClient(apiUrl, { connections: 4 });
  const t0 = nowMicros() - LINES * 1000;
  let next = 0;
  try {
    await runClients(4, () => {
      if (next >= LINES) return undefined;
      const from = next;
      next += 1000;
      const body = Array.from({ length: 1000 }, (_, j) => ({
        name: j % 10 ? 'prefect.task_runs' : 'prefect.flow_runs',
        // One line in ten is a warning or an error: the "from a minimum level" views page through them.
        level: j % 10 === 3 ? 30 : j % 20 === 7 ? 40 : 20,
        message: `Finished in state Completed(), record ${from + j}, wrote 1,024 rows to "orders"`,
        timestamp: formatMicros(t0 + (from + j) * 1000),
        flow_run_id: run,
      }));
      return http.ok('POST', 'logs/', JSON.stringify(body));
    });
  } finally {
    http.close();
  }
}

export const management: Workload = {
  name: 'flow-run-management',
  title: 'Flow-run management API: run list, a 1M-line run’s log pages, queued download',
  size: () => ({ n: RUNS, noun: 'runs' }),
  async run(ctx: BenchContext) {
    const server = await ctx.server();
    let t = performance.now();
    await loadRuns(server.apiUrl);
    log(`  created ${int(RUNS)} runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const flow = JSON.parse(
      (await new HttpClient(server.apiUrl).ok('POST', 'flows/', JSON.stringify({ name: 'big' }))).body,
    ).id;
    const run = JSON.parse(
      (
        await new HttpClient(server.apiUrl).ok(
          'POST',
          'flow_runs/',
          JSON.stringify({ flow_id: flow, name: 'big-run', state: { type: 'RUNNING' } }),
        )
      ).body,
    ).id;
    t = performance.now();
    await loadLines(server.apiUrl, run);
    log(`  loaded ${int(LINES)} lines of one run in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const none = () => undefined;
    const get = (path: string | ((i: number) => string), count = dataCount): QuerySpec => ({
      method: 'GET',
      path,
      body: none,
      count,
    });
    const arr = (b: string) => (JSON.parse(b) as unknown[]).length;
    const u = server.apiUrl;
    const p = server.pid;
    const rows: Row[] = [
      await measure(u, p, `runs list, page 1 (25 of ${int(RUNS)})`, get('v1/flow-runs'), GOALS.list),
      await measure(u, p, 'runs list, page 2,000', get('v1/flow-runs?page=2000'), GOALS.list),
      await measure(
        u,
        p,
        'runs list, filter[status]=failed, include=flow',
        get('v1/flow-runs?filter[status]=failed&include=flow'),
      ),
      await measure(u, p, 'runs list, filter[search]=run-99', get('v1/flow-runs?filter[search]=run-99')),
      await measure(u, p, 'a 1M-line run’s logs, page 1', get(`v1/flow-runs/${run}/flow-run-logs`), GOALS.firstPage),
      await measure(
        u,
        p,
        'a 1M-line run’s logs, page 5,000 (offset 125,000)',
        get(`v1/flow-runs/${run}/flow-run-logs?page=5000`),
        GOALS.deepPage,
      ),
      await measure(
        u,
        p,
        'Prefect route: offset 125,000, limit 25',
        get(`flow_runs/${run}/logs?offset=125000&limit=25`, arr),
        GOALS.deepPage,
      ),
      await measure(
        u,
        p,
        'Prefect route: level_ge=30, offset 12,500, limit 25',
        get(`flow_runs/${run}/logs?level_ge=30&offset=12500&limit=25`, arr),
        GOALS.deepPage,
      ),
    ];

    // The queued download of the 1M-line run, written by this server's worker.
    const http = new HttpClient(server.apiUrl);
    const sampler = new ProcSampler([server.pid]);
    const rssBefore = readProc(server.pid)?.rss;
    t = performance.now();
    const job = JSON.parse((await http.ok('GET', `v1/flow-runs/${run}/download`)).body).data;
    let done: { status: string; row_count: number; size_bytes: number };
    for (;;) {
      done = JSON.parse((await http.ok('GET', `v1/file-downloads/${job.id}`)).body).data;
      if (done.status !== 'queued' && done.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t) / 1000;
    const proc = sampler.stop();
    http.close();
    log(`  download: ${done.status}, ${int(done.row_count)} lines in ${seconds.toFixed(2)} s`);

    const f = (x: QueryResult) => `${ms(x.p50)} / ${ms(x.p95)} / **${ms(x.p99)}**`;
    return [
      `${int(RUNS)} runs over 20 flows (10 % scheduled, never started), created through \`POST /flow_runs/\`, and one run`,
      `with ${int(LINES)} log lines (10 % WARNING, 5 % ERROR). Each query: 5 warm-up requests, then 300 at concurrency 1.`,
      '',
      table(
        ['query', 'items', 'p50 / p95 / p99 ms', 'goal (p99)', ''],
        rows.map((x) => [
          x.label,
          x.r.items.toFixed(0),
          f(x.r),
          x.goal ? `≤ ${x.goal} ms` : '',
          x.goal ? (x.r.p99 <= x.goal ? 'met' : '**missed**') : '',
        ]),
      ),
      '',
      `Queued download of the ${int(LINES)}-line run (\`GET /v1/flow-runs/{id}/download\` until \`completed\`), written by the`,
      'server’s own worker into 1 MiB chunks in the database:',
      '',
      table(
        ['status', 'lines', 'MB', 'seconds', 'lines/s', 'server RSS before → max during'],
        [
          [
            done.status,
            int(done.row_count),
            (done.size_bytes / 1e6).toFixed(0),
            seconds.toFixed(2),
            `**${int(done.row_count / seconds)}**`,
            `${mb(rssBefore)} → ${mb(proc.maxRss)}`,
          ],
        ],
      ),
    ].join('\n');
  },
};
