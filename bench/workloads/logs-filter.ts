/**
 * `POST /api/logs/filter` with the query mix of Prefect 3.8.3's reference measurements
 * (Appendix A), on the shared dataset of `--logs` logs, at concurrency 1 and 4.
 */
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms } from '../lib/stats.ts';
import { prng } from './logs-data.ts';
import { ensureLogs, logsFixture, waitIndexed } from './logs-fixture.ts';
import { type NamedQuery, QUERY_HEAD, queryCells, REQUESTS, runQueries, timeline } from './logs-queries.ts';

const TARGET_PAGE_P99 = 10;

export const logsFilter: Workload = {
  name: 'logs-filter',
  title: 'Log filter (`POST /logs/filter`, the reference query mix)',
  async run(ctx: BenchContext) {
    const fx = await logsFixture(ctx);
    await ensureLogs(ctx);
    await waitIndexed(fx, 30 * 60_000);
    const runs = fx.dataset.flowRuns();
    const tasks = runs.flatMap((r) => r.taskRuns);
    const t = timeline(fx);
    const rand = prng(99);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const queries: NamedQuery[] = [
      {
        label: 'level ≥ 40, limit 200',
        path: 'logs/filter',
        body: () => JSON.stringify({ logs: { level: { ge_: 40 } }, limit: 200 }),
        prefect: { c1: [19.4, 266.7], c4: [19.8, 28.8] },
      },
      {
        label: 'one flow_run_id, limit 200',
        path: 'logs/filter',
        body: () => JSON.stringify({ logs: { flow_run_id: { any_: [pick(runs).id] } }, limit: 200 }),
        prefect: { c1: [14.8, 16.4], c4: [14.4, 16.1] },
      },
      {
        label: '10 % timestamp window, limit 200',
        path: 'logs/filter',
        body: () => {
          const [after_, before_] = t.window(0.1, rand());
          return JSON.stringify({ logs: { timestamp: { after_, before_ } }, limit: 200 });
        },
        prefect: { c1: [14.9, 19.3], c4: [15.3, 20.6] },
      },
      {
        label: 'one task_run_id, DESC, limit 50',
        path: 'logs/filter',
        body: () =>
          JSON.stringify({ logs: { task_run_id: { any_: [pick(tasks).id] } }, sort: 'TIMESTAMP_DESC', limit: 50 }),
        prefect: { c1: [7.1, 12.4], c4: [6.9, 8.2] },
      },
      {
        label: 'all runs, offset 5000, limit 200',
        path: 'logs/filter',
        body: () => JSON.stringify({ offset: 5000, limit: 200 }),
        prefect: { c1: [30.8, 34.2], c4: [30.1, 37.4] },
      },
      {
        label: "one flow_run_id, DESC, limit 200 (a run's latest logs)",
        path: 'logs/filter',
        body: () =>
          JSON.stringify({ logs: { flow_run_id: { any_: [pick(runs).id] } }, sort: 'TIMESTAMP_DESC', limit: 200 }),
      },
      {
        label: 'one flow_run_id, level ≥ 30, limit 200',
        path: 'logs/filter',
        body: () =>
          JSON.stringify({ logs: { flow_run_id: { any_: [pick(runs).id] }, level: { ge_: 30 } }, limit: 200 }),
      },
    ];
    log(`logs-filter on ${int(fx.dataset.generated)} logs`);
    const rows = await runQueries(fx, queries);
    const page = rows[1];
    const maxRss = Math.max(...rows.flatMap((r) => [r.c1.maxRss ?? 0, r.c4.maxRss ?? 0]));
    return [
      `${int(fx.dataset.generated)} logs stored from ${int(fx.dataset.finishedRuns)} finished flow runs (ids drawn from a sample of`,
      `${int(runs.length)}), a week of timestamps. Each query: 5 warm-up requests, then ${REQUESTS.c1} requests at concurrency 1 and`,
      `${REQUESTS.c4} at concurrency 4, with varying ids and windows. Items = mean rows returned. Prefect's figures were measured`,
      'on 10,000 stored logs (p50 / p95 only).',
      '',
      table(QUERY_HEAD, rows.map(queryCells)),
      '',
      table(
        ['goal', 'target', 'measured', ''],
        [
          [
            'DESIGN: flow-run logs page (200 lines), p99',
            `≤ ${TARGET_PAGE_P99} ms at 10M`,
            `${ms(page.c1.p99)} ms (c1), ${ms(page.c4.p99)} ms (c4) at ${int(fx.dataset.generated)}`,
            page.c1.p99 <= TARGET_PAGE_P99 ? 'met' : '**missed**',
          ],
          ['server RSS while querying', '≤ 300 MB', mb(maxRss), maxRss <= 300e6 ? 'met' : '**missed**'],
        ],
      ),
    ].join('\n');
  },
};
