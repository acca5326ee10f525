/**
 * Log ingest over HTTP (`POST /api/logs/`): one client with batches of 200 (Prefect 3.8.3's
 * measured case) and 1000, then four clients with each, on a database that grows from empty; then
 * the rest of the dataset at full speed. Every phase reports acknowledged logs/s, the text
 * indexer's lag while loading and the time it then needed to catch up, and the server's RSS/CPU.
 */
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms } from '../lib/stats.ts';
import { ensureLogs, type LoadResult, loadLogs, logsFixture } from './logs-fixture.ts';

/** Prefect 3.8.3 (SQLite), batches of 200 (reference Appendix A). */
export const PREFECT_INGEST = { c1: 3718, c4: 2922 };
const TARGET_RATE = 100_000;
const FLOOR_RATE = 10 * PREFECT_INGEST.c1;
const TARGET_RSS = 300e6;

const PHASES = [
  { clients: 1, batch: 200, prefect: PREFECT_INGEST.c1 },
  { clients: 1, batch: 1000 },
  { clients: 4, batch: 200, prefect: PREFECT_INGEST.c4 },
  { clients: 4, batch: 1000 },
];

function row(label: string, r: LoadResult, prefect?: number): string[] {
  return [
    label,
    int(r.logs),
    `**${int(r.rate)}**`,
    `${ms(r.reqP50)} / ${ms(r.reqP99)}`,
    r.serverCpu === undefined ? 'n/a' : r.serverCpu.toFixed(2),
    r.cpuPerLog === undefined ? 'n/a' : r.cpuPerLog.toFixed(1),
    r.clientCpu.toFixed(2),
    `${int(r.maxLag)} / ${int(r.endLag)}`,
    r.catchUpSeconds.toFixed(1),
    int(r.indexedRate),
    mb(r.maxRss),
    prefect ? `${(r.rate / prefect).toFixed(1)}× (${int(prefect)})` : '',
  ];
}

export const logsIngest: Workload = {
  name: 'logs-ingest',
  title: 'Log ingest over HTTP',
  async run(ctx: BenchContext) {
    const fx = await logsFixture(ctx);
    if (fx.dataset.generated > 0) throw new Error('logs-ingest must run first, on an empty database');
    // Each phase gets a fifth of the dataset (at most 250k logs); the rest is loaded afterwards.
    const perPhase = Math.max(1000, Math.min(250_000, Math.floor(ctx.args.logs / 5)));
    const rows: string[][] = [];
    const results: LoadResult[] = [];
    for (const ph of PHASES) {
      log(`ingest: ${ph.clients} client(s), batches of ${ph.batch}, ${int(perPhase)} logs`);
      const r = await loadLogs(fx, { clients: ph.clients, batch: ph.batch, count: perPhase, pregenerate: true });
      log(
        `  ${int(r.rate)} logs/s, req p50 ${ms(r.reqP50)} ms, max lag ${int(r.maxLag)}, caught up after ${r.catchUpSeconds.toFixed(1)} s`,
      );
      results.push(r);
      rows.push(row(`${ph.clients} client${ph.clients > 1 ? 's' : ''}, batches of ${ph.batch}`, r, ph.prefect));
    }
    const sustained = await ensureLogs(ctx);
    if (sustained)
      rows.push(row(`sustained: 4 clients, batches of 1000, up to ${int(ctx.args.logs)} stored`, sustained));

    const first = results[0];
    const best = Math.max(...results.map((r) => r.rate));
    const maxRss = Math.max(...[...results, ...(sustained ? [sustained] : [])].map((r) => r.maxRss ?? 0));
    const check = (ok: boolean) => (ok ? 'met' : '**missed**');
    return [
      `Each phase sends ${int(perPhase)} logs from an empty database upwards (phases run in this order, so later`,
      'phases write into a larger database). Bodies are generated before the clock starts. Server and',
      'benchmark run on the same machine; "CPU" is cores used (1.00 = one core busy); CPU µs/log is the',
      "server's CPU time per acknowledged log, including indexing done meanwhile. Lag = logs stored",
      'but not yet in the text index (largest sampled / at the last acknowledgement); catch-up = seconds',
      'from the last acknowledgement until the index had every log; "incl. indexing" counts that time too.',
      '',
      table(
        [
          'phase',
          'logs',
          'acked logs/s',
          'req p50 / p99 ms',
          'server CPU',
          'server CPU µs/log',
          'client CPU',
          'text-index lag max / end',
          'catch-up s',
          'logs/s incl. indexing',
          'max RSS',
          'vs Prefect 3.8.3',
        ],
        rows,
      ),
      '',
      table(
        ['goal', 'target', 'measured', ''],
        [
          [
            'done floor: 10× Prefect (1 client, batches of 200)',
            `≥ ${int(FLOOR_RATE)} logs/s`,
            `${int(first.rate)} logs/s`,
            check(first.rate >= FLOOR_RATE),
          ],
          [
            'DESIGN: log ingest, batches of 200–1000',
            `≥ ${int(TARGET_RATE)} logs/s`,
            `${int(best)} logs/s (best phase)`,
            check(best >= TARGET_RATE),
          ],
          ['DESIGN: memory under sustained load', '≤ 300 MB RSS', mb(maxRss), check(maxRss <= TARGET_RSS)],
        ],
      ),
    ].join('\n');
  },
};
