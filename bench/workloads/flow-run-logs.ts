/**
 * One flow run's logs on the shared dataset: the page of `GET /flow_runs/{id}/logs` (and its ETag
 * revalidation) and observed loggers — at 1M stored logs and, when the run's dataset is larger
 * (`--full`: 10M), again at full size; then the download of one run with a million lines on a
 * server of its own.
 */
import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { formatMicros, nowMicros } from '../../src/domain/time.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms } from '../lib/stats.ts';
import { prng } from './logs-data.ts';
import { ensureLogs, type LogsFixture, loadLogs, logsFixture } from './logs-fixture.ts';
import { type NamedQuery, type QueryRow, runQueries } from './logs-queries.ts';

const TARGET_PAGE_P99 = 10;
const CHECKPOINT = 1_000_000;
const DOWNLOAD_LINES = 1_000_000;

export const flowRunLogs: Workload = {
  name: 'flow-run-logs',
  title: 'A flow run’s logs: page, ETag revalidation, observed loggers, download',
  async run(ctx: BenchContext) {
    const fx = await logsFixture(ctx);
    const checkpoints: { stored: number; rows: QueryRow[] }[] = [];
    // The 1M figure is measured on the way to a larger dataset, when this run still can.
    if (ctx.args.logs > CHECKPOINT && fx.dataset.generated < CHECKPOINT) {
      log(`loading up to ${int(CHECKPOINT)} logs for the first checkpoint`);
      await loadLogs(fx, { clients: 4, batch: 1000, count: CHECKPOINT - fx.dataset.generated, pregenerate: false });
      checkpoints.push({ stored: fx.dataset.generated, rows: await measurePages(fx) });
    }
    await ensureLogs(ctx);
    checkpoints.push({ stored: fx.dataset.generated, rows: await measurePages(fx) });
    const download = await measureDownload(ctx);

    const head = ['stored logs', 'query', 'items', 'c1 p50 / p95 / p99 ms', 'c4 p50 / p95 / p99 ms'];
    const f = (x: QueryRow['c1']) => `${ms(x.p50)} / ${ms(x.p95)} / **${ms(x.p99)}**`;
    const rows = checkpoints.flatMap((c) =>
      c.rows.map((r) => [
        int(c.stored),
        r.q.label,
        r.c1.items < 10 ? r.c1.items.toFixed(1) : int(r.c1.items),
        f(r.c1),
        f(r.c4),
      ]),
    );
    const goal = checkpoints.map((c) => {
      const page = c.rows[0];
      return [
        'DESIGN: a run’s logs page (200 lines), p99',
        `≤ ${TARGET_PAGE_P99} ms`,
        `${ms(page.c1.p99)} ms (c1), ${ms(page.c4.p99)} ms (c4) at ${int(c.stored)}`,
        page.c1.p99 <= TARGET_PAGE_P99 ? 'met' : '**missed**',
      ];
    });
    return [
      `Sampled flow runs of ~250 logs each, from the shared dataset. Each query: 5 warm-up requests, then ${300} at`,
      `concurrency 1 and ${600} at concurrency 4, each for another run. The 304 row sends each run's current ETag.`,
      '',
      table(head, rows),
      '',
      `Download (\`GET /flow_runs/{id}/logs/download\`: CSV, and \`?format=text\`) of one run with ${int(DOWNLOAD_LINES)} logs, loaded through a`,
      'server of its own, then read (no compression) from a freshly started one on the same database, so that its memory is the',
      'download’s alone:',
      '',
      table(
        ['format', 'lines', 'MB', 'seconds', 'lines/s', 'MB/s', 'server RSS before → max during'],
        download.map((d) => [
          d.format,
          int(d.lines),
          (d.bytes / 1e6).toFixed(0),
          d.seconds.toFixed(2),
          `**${int(d.lines / d.seconds)}**`,
          (d.bytes / 1e6 / d.seconds).toFixed(0),
          `${mb(d.rssBefore)} → ${mb(d.maxRss)}`,
        ]),
      ),
      '',
      table(['goal', 'target', 'measured', ''], goal),
    ].join('\n');
  },
};

async function measurePages(fx: LogsFixture): Promise<QueryRow[]> {
  const runs = fx.dataset.flowRuns();
  const rand = prng(123);
  const pick = () => runs[Math.floor(rand() * runs.length)];
  const page = (query: string) => (i: number) => `flow_runs/${runs[i % runs.length].id}/logs${query}`;
  // Each run's current validator, for the conditional requests (read before the timing).
  const probe = new HttpClient(fx.server.apiUrl);
  const etags: { id: string; etag: string }[] = [];
  try {
    for (const r of runs.slice(0, 200)) {
      const etag = (await probe.ok('GET', `flow_runs/${r.id}/logs`)).headers.etag;
      if (etag) etags.push({ id: r.id, etag });
    }
  } finally {
    probe.close();
  }
  const none = () => undefined;
  const queries: NamedQuery[] = [
    { label: 'a run’s first page (limit 200)', method: 'GET', path: page(''), body: none },
    { label: 'a run’s latest 200 (TIMESTAMP_DESC)', method: 'GET', path: page('?sort=TIMESTAMP_DESC'), body: none },
    { label: 'a run’s warnings and errors (level_ge=30)', method: 'GET', path: page('?level_ge=30'), body: none },
    { label: 'a run’s logs matching text_query=records', method: 'GET', path: page('?text_query=records'), body: none },
    {
      label: 'revalidation: If-None-Match → 304',
      method: 'GET',
      path: (i) => `flow_runs/${etags[i % etags.length].id}/logs`,
      headers: (i) => ({ 'if-none-match': etags[i % etags.length].etag }),
      body: none,
      count: () => 0,
    },
    { label: 'observed loggers, workspace (LAST_SEEN_DESC)', method: 'GET', path: 'observed-loggers', body: none },
    {
      label: 'observed loggers, workspace, NAME_ASC, prefix',
      method: 'GET',
      path: 'observed-loggers?order_by=NAME_ASC&query=prefect.',
      body: none,
    },
    {
      label: 'observed loggers, one trace',
      method: 'GET',
      path: () => `traces/${pick().id}/observed-loggers`,
      body: none,
    },
  ];
  log(`flow-run-logs on ${int(fx.dataset.generated)} logs`);
  return runQueries(fx, queries);
}

interface DownloadResult {
  format: string;
  lines: number;
  bytes: number;
  seconds: number;
  rssBefore?: number;
  maxRss?: number;
}

async function measureDownload(ctx: BenchContext): Promise<DownloadResult[]> {
  const loader = await ctx.server();
  const run = randomUUID();
  const http = new HttpClient(loader.apiUrl, { connections: 4 });
  const t0 = nowMicros() - DOWNLOAD_LINES * 1000;
  let next = 0;
  const started = performance.now();
  try {
    await runClients(4, () => {
      if (next >= DOWNLOAD_LINES) return undefined;
      const from = next;
      next += 1000;
      const body = JSON.stringify(
        Array.from({ length: 1000 }, (_, j) => ({
          name: j % 10 ? 'prefect.task_runs' : 'prefect.flow_runs',
          level: 20,
          message: `Finished in state Completed(), record ${from + j}, wrote 1,024 rows to "orders"`,
          timestamp: formatMicros(t0 + (from + j) * 1000),
          flow_run_id: run,
          task_run_id: null,
        })),
      );
      return http.ok('POST', 'logs/', body);
    });
  } finally {
    http.close();
  }
  log(`  loaded ${int(DOWNLOAD_LINES)} logs of one run in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await loader.stop();
  const server = await ctx.server({ db: loader.db });
  const idle = new ProcSampler([server.pid]);
  await new Promise((r) => setTimeout(r, 300));
  const rssBefore = idle.stop().maxRss;
  const out: DownloadResult[] = [];
  for (const format of ['csv', 'text']) {
    const sampler = new ProcSampler([server.pid]);
    const t = performance.now();
    const { lines, bytes } = await new Promise<{ lines: number; bytes: number }>((resolve, reject) => {
      const req = get(`${server.apiUrl}/flow_runs/${run}/logs/download?format=${format}`, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
        let lines = 0;
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          for (let i = 0; i < c.length; i++) if (c[i] === 10) lines++;
        });
        res.on('end', () => resolve({ lines, bytes }));
        res.on('error', reject);
      });
      req.setTimeout(600_000, () => req.destroy(new Error('download timed out')));
      req.on('error', reject);
    });
    const seconds = (performance.now() - t) / 1000;
    const proc = sampler.stop();
    log(`  ${format}: ${int(lines)} lines, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s`);
    out.push({ format, lines, bytes, seconds, rssBefore, maxRss: proc.maxRss });
  }
  return out;
}
