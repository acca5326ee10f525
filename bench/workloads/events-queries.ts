/**
 * Event reads on the shared dataset (`--events`): `/events/filter` with the selective query mix of
 * Prefect 3.8.3's reference measurements (Appendix A), a broad filter with the cost of its exact
 * `total` measured apart, count-by from rollups and one exact-count filter, and one flow run's
 * events page.
 */
import { formatMicros } from '../../src/domain/time.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { measureQuery, type QueryResult, type QuerySpec } from '../lib/measure.ts';
import { table } from '../lib/results.ts';
import { int, ms, summarize } from '../lib/stats.ts';
import { eventsFixture } from './events-fixture.ts';
import { prng } from './logs-data.ts';

const REQUESTS = { c1: 200, c4: 400 };
const TARGET_PAGE_P99 = 10;
const TARGET_COUNT_BY = 300;

interface Q extends QuerySpec {
  label: string;
  prefect?: string;
}

const pageItems = (b: string) => (JSON.parse(b) as { events: unknown[] }).events.length;
const listItems = (b: string) => (JSON.parse(b) as unknown[]).length;

export const eventsQueries: Workload = {
  name: 'events-queries',
  size: (args) => ({ n: args.events, noun: 'events' }),
  title: "Event reads (`/events/filter`, count-by, a flow run's events)",
  async run(ctx: BenchContext) {
    const fx = await eventsFixture(ctx);
    const ds = fx.dataset;
    const runs = ds.flowRuns();
    const flows = ds.flowIds();
    const rand = prng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const window = (fraction: number) => {
      const width = Math.floor((ds.end - ds.start) * fraction);
      const at = ds.start + Math.floor((ds.end - ds.start - width) * rand());
      return { since: formatMicros(at), until: formatMicros(at + width) };
    };
    const all = { since: formatMicros(ds.start), until: formatMicros(ds.end) };
    const post = (path: string, body: () => unknown, count = pageItems) => ({
      path,
      body: () => JSON.stringify(body()),
      count,
    });

    const filters: Q[] = [
      {
        label: 'event name (flow runs that failed), limit 50',
        ...post('events/filter', () => ({ filter: { event: { name: ['prefect.flow-run.Failed'] } } })),
        prefect: '11.9 / 14.1',
      },
      {
        label: 'resource id (one flow run), limit 50',
        ...post('events/filter', () => ({ filter: { resource: { id: [`prefect.flow-run.${pick(runs).id}`] } } })),
        prefect: '13.7 / 17.3',
      },
      {
        label: "related id (one flow run's task runs), limit 50",
        ...post('events/filter', () => ({ filter: { related: { id: [`prefect.flow-run.${pick(runs).id}`] } } })),
        prefect: '19.9 / 28.5',
      },
      {
        label: '10 % occurred window + prefix, limit 50',
        ...post('events/filter', () => ({
          filter: { occurred: window(0.1), event: { prefix: ['prefect.flow-run.'] } },
        })),
        prefect: '10.5 / 12.8',
      },
      {
        label: 'broad: everything in the window, limit 50 (exact total)',
        ...post('events/filter', () => ({ filter: { occurred: all } })),
      },
    ];
    const counts: Q[] = [
      {
        label: 'count-by day, whole dataset (rollups)',
        ...post('events/count-by/day', () => ({ filter: { occurred: all } }), listItems),
      },
      {
        label: 'count-by event, prefix prefect.flow-run. (rollups)',
        ...post(
          'events/count-by/event',
          () => ({ filter: { occurred: all, event: { prefix: ['prefect.flow-run.'] } } }),
          listItems,
        ),
        prefect: '12.4 / 16.8 (10k events)',
      },
      {
        label: 'count-by time (hour), 10 % window (rollups, exact edges)',
        ...post('events/count-by/time', () => ({ filter: { occurred: window(0.1) }, time_unit: 'hour' }), listItems),
      },
      {
        label: 'count-by day, one resource id (rollups)',
        ...post(
          'events/count-by/day',
          () => ({ filter: { occurred: all, resource: { id: [`prefect.flow-run.${pick(runs).id}`] } } }),
          listItems,
        ),
      },
      {
        label: 'count-by day, related flow id (exact count)',
        ...post(
          'events/count-by/day',
          () => ({ filter: { occurred: all, related: { id: [`prefect.flow.${pick(flows)}`] } } }),
          listItems,
        ),
      },
      {
        label: 'count-by actor, whole dataset (rollups)',
        ...post('events/count-by/actor', () => ({ filter: { occurred: all } }), listItems),
      },
    ];
    const runPage: Q[] = [
      {
        label: "one flow run's events page (limit 200, with task runs)",
        method: 'GET',
        path: 'flow_runs/x/events',
        body: () => undefined,
        count: pageItems,
      },
    ];
    // measureQuery takes a fixed path: vary the run through a path per request instead.
    const runPaths = Array.from({ length: 50 }, () => `flow_runs/${pick(runs).id}/events?limit=200`);

    const measure = async (q: Q, clients: number, requests: number): Promise<QueryResult> => {
      if (q.method === 'GET') {
        const results: QueryResult[] = [];
        for (const path of runPaths.slice(0, clients === 1 ? 25 : 25)) {
          results.push(
            await measureQuery(
              fx.server.apiUrl,
              fx.server.pid,
              { ...q, path },
              { clients, requests: Math.ceil(requests / 25), warmup: 1 },
            ),
          );
        }
        // Pool the runs' samples: report the worst p99 and the median of medians.
        const p50 = summarize(results.map((r) => r.p50)).p50;
        return {
          ...results[0],
          p50,
          p95: Math.max(...results.map((r) => r.p95)),
          p99: Math.max(...results.map((r) => r.p99)),
          items: results.reduce((a, r) => a + r.items, 0) / results.length,
        };
      }
      return measureQuery(fx.server.apiUrl, fx.server.pid, q, { clients, requests, maxSeconds: 120 });
    };
    const rowsOf = async (qs: Q[], requests = REQUESTS) => {
      const rows: { q: Q; c1: QueryResult; c4: QueryResult }[] = [];
      for (const q of qs) {
        const c1 = await measure(q, 1, requests.c1);
        const c4 = await measure(q, 4, requests.c4);
        log(
          `  ${q.label}: c1 p50 ${ms(c1.p50)} p99 ${ms(c1.p99)}; c4 p50 ${ms(c4.p50)} p99 ${ms(c4.p99)}; ${c1.items.toFixed(0)} items`,
        );
        rows.push({ q, c1, c4 });
      }
      return rows;
    };
    log(`events-queries on ${int(ds.generated)} events`);
    const filterRows = await rowsOf(filters);
    const countRows = await rowsOf(counts, { c1: 30, c4: 40 });
    const runRows = await rowsOf(runPage);

    // The broad filter's exact total, measured on its own through a second connection.
    const totals: number[] = [];
    let total = 0;
    const { workspace } = await fx.probe.tenancy.ensureDefaults();
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      total = await fx.probe.events.count(
        { kind: 'workspace', accountId: workspace.accountId, workspaceId: workspace.id },
        { filter: { since: ds.start, until: ds.end }, order: 'DESC' },
      );
      totals.push(performance.now() - t0);
    }
    const totalCost = summarize(totals);

    const head = ['query', 'items', 'c1 p50 / p95 / p99 ms', 'c4 p50 / p95 / p99 ms', 'Prefect 3.8.3 c1 p50 / p95 ms'];
    const cells = (r: { q: Q; c1: QueryResult; c4: QueryResult }) => [
      r.q.label,
      r.c1.items < 10 ? r.c1.items.toFixed(1) : int(r.c1.items),
      `${ms(r.c1.p50)} / ${ms(r.c1.p95)} / **${ms(r.c1.p99)}**`,
      `${ms(r.c4.p50)} / ${ms(r.c4.p95)} / **${ms(r.c4.p99)}**`,
      r.q.prefect ?? '',
    ];
    const selective = filterRows.slice(0, 4);
    const worstSelective = Math.max(...selective.map((r) => r.c1.p99));
    const rollupDay = countRows[0];
    return [
      `${int(ds.generated)} events stored (a week; ~50 events per flow run, 4–6 related resources, payloads of 0.5–1.5 KB),`,
      `loaded over the websocket. Filters: ${REQUESTS.c1} requests at concurrency 1 and ${REQUESTS.c4} at 4 with varying ids and windows;`,
      "count-by: 30 and 40. Items = mean events (or rows) returned. Prefect's figures: 10,000 stored events.",
      '',
      '### `/events/filter`',
      '',
      table(head, filterRows.map(cells)),
      '',
      `The broad filter's exact \`total\` (${int(total)} events) alone costs p50 ${ms(totalCost.p50)} ms / max ${ms(totalCost.max)} ms`,
      '(`store.events.count` through a second connection, 5 runs); it is part of every first page of a broad query.',
      '',
      "### Count-by and a flow run's events",
      '',
      table(head, [...countRows, ...runRows].map(cells)),
      '',
      table(
        ['goal', 'target', 'measured', ''],
        [
          [
            'DESIGN: events filter page at 10M, p99 (selective queries)',
            `≤ ${TARGET_PAGE_P99} ms`,
            `worst ${ms(worstSelective)} ms (c1) at ${int(ds.generated)}`,
            worstSelective <= TARGET_PAGE_P99 ? 'met' : '**missed**',
          ],
          [
            'DESIGN: count-by day over 10M events',
            `≤ ${TARGET_COUNT_BY} ms`,
            `p99 ${ms(rollupDay.c1.p99)} ms at ${int(ds.generated)}`,
            rollupDay.c1.p99 <= TARGET_COUNT_BY ? 'met' : '**missed**',
          ],
        ],
      ),
    ].join('\n');
  },
};
