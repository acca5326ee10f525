/**
 * Text search through `POST /api/logs/filter` (`logs.text.query`, Prefect's grammar) on the shared
 * dataset, with the text index caught up: a rare term, a common term within a time window, a
 * phrase, and a common term with no other filter.
 */
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { table } from '../lib/results.ts';
import { int, ms } from '../lib/stats.ts';
import { COMMON_TERM, PHRASE, prng, RARE_TERMS } from './logs-data.ts';
import { ensureLogs, logsFixture, waitIndexed } from './logs-fixture.ts';
import { type NamedQuery, QUERY_HEAD, queryCells, REQUESTS, runQueries, timeline } from './logs-queries.ts';

const TARGET_P99 = 200;

export const logsText: Workload = {
  name: 'logs-text',
  title: 'Log text search (`logs.text.query`)',
  async run(ctx: BenchContext) {
    const fx = await logsFixture(ctx);
    await ensureLogs(ctx);
    await waitIndexed(fx, 30 * 60_000);
    const t = timeline(fx);
    const rand = prng(123);
    const text = (query: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ logs: { text: { query }, ...extra }, limit: 200 });
    const queries: NamedQuery[] = [
      {
        label: `rare term (${RARE_TERMS.join(', ')}: ~10 per million logs)`,
        path: 'logs/filter',
        body: (i) => text(RARE_TERMS[i % RARE_TERMS.length]),
      },
      {
        label: `common term "${COMMON_TERM}" (~20 % of logs) in a 1 % time window`,
        path: 'logs/filter',
        body: () => {
          const [after_, before_] = t.window(0.01, rand());
          return text(COMMON_TERM, { timestamp: { after_, before_ } });
        },
      },
      { label: `phrase "${PHRASE}" (~2 % of logs)`, path: 'logs/filter', body: () => text(`"${PHRASE}"`) },
      {
        label: `phrase, newest first, in a 10 % window`,
        path: 'logs/filter',
        body: () => {
          const [after_, before_] = t.window(0.1, rand());
          return JSON.stringify({
            logs: { text: { query: `"${PHRASE}"` }, timestamp: { after_, before_ } },
            sort: 'TIMESTAMP_DESC',
            limit: 200,
          });
        },
      },
      { label: `common term "${COMMON_TERM}", no other filter`, path: 'logs/filter', body: () => text(COMMON_TERM) },
      {
        label: 'rare term OR common term excluded (`quokka -records`)',
        path: 'logs/filter',
        body: () => text(`${RARE_TERMS[0]} -${COMMON_TERM}`),
      },
    ];
    log(`logs-text on ${int(fx.dataset.generated)} logs`);
    const rows = await runQueries(fx, queries);
    const worst = Math.max(...rows.slice(0, 3).map((r) => Math.max(r.c1.p99, r.c4.p99)));
    return [
      `${int(fx.dataset.generated)} logs stored, text index caught up. Limit 200, oldest first unless noted.`,
      `Each query: 5 warm-up requests, then ${REQUESTS.c1} requests at concurrency 1 and ${REQUESTS.c4} at concurrency 4.`,
      '',
      table(
        QUERY_HEAD.slice(0, 4),
        rows.map((r) => queryCells(r).slice(0, 4)),
      ),
      '',
      table(
        ['goal', 'target', 'measured (worst p99 of the first three)', ''],
        [
          [
            'DESIGN: text search, p99',
            `≤ ${TARGET_P99} ms at 10M`,
            `${ms(worst)} ms at ${int(fx.dataset.generated)}`,
            worst <= TARGET_P99 ? 'met' : '**missed**',
          ],
        ],
      ),
    ].join('\n');
  },
};
