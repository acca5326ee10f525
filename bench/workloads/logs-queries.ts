/** Shared by the log query workloads: run a list of queries at concurrency 1 and 4 and tabulate. */
import { formatMicros, type Micros } from '../../src/domain/time.ts';
import { log } from '../lib/context.ts';
import { measureQuery, type QueryResult, type QuerySpec } from '../lib/measure.ts';
import { int, ms } from '../lib/stats.ts';
import type { LogsFixture } from './logs-fixture.ts';

export interface NamedQuery extends QuerySpec {
  label: string;
  /** Prefect 3.8.3's p50 / p95 ms at concurrency 1 and 4 (reference Appendix A), when measured. */
  prefect?: { c1: [number, number]; c4: [number, number] };
}

export interface QueryRow {
  q: NamedQuery;
  c1: QueryResult;
  c4: QueryResult;
}

export const REQUESTS = { c1: 300, c4: 600 };

export async function runQueries(fx: LogsFixture, queries: NamedQuery[]): Promise<QueryRow[]> {
  const rows: QueryRow[] = [];
  for (const q of queries) {
    const c1 = await measureQuery(fx.server.apiUrl, fx.server.pid, q, { clients: 1, requests: REQUESTS.c1 });
    const c4 = await measureQuery(fx.server.apiUrl, fx.server.pid, q, { clients: 4, requests: REQUESTS.c4 });
    log(
      `  ${q.label}: c1 p50 ${ms(c1.p50)} p99 ${ms(c1.p99)} ms; c4 p50 ${ms(c4.p50)} p99 ${ms(c4.p99)} ms; ${c1.items.toFixed(0)} items`,
    );
    rows.push({ q, c1, c4 });
  }
  return rows;
}

export const QUERY_HEAD = [
  'query',
  'items',
  'c1 p50 / p95 / p99 ms',
  'c4 p50 / p95 / p99 ms',
  'Prefect 3.8.3 c1 / c4 p50 / p95 ms',
];

export function queryCells(r: QueryRow): string[] {
  const f = (x: QueryResult) => `${ms(x.p50)} / ${ms(x.p95)} / **${ms(x.p99)}**`;
  const p = r.q.prefect;
  return [
    r.q.label,
    r.c1.items < 10 ? r.c1.items.toFixed(1) : int(r.c1.items),
    f(r.c1),
    f(r.c4),
    p ? `${p.c1[0]} / ${p.c1[1]} · ${p.c4[0]} / ${p.c4[1]}` : '',
  ];
}

/** Time bounds of the stored part of the dataset, and ISO strings for a window inside it. */
export function timeline(fx: LogsFixture): {
  from: Micros;
  to: Micros;
  window: (fraction: number, at: number) => [string, string];
} {
  const from = fx.dataset.start;
  const to = fx.dataset.timeAt(fx.dataset.generated);
  return {
    from,
    to,
    window(fraction, at) {
      const width = Math.floor((to - from) * fraction);
      const start = from + Math.floor((to - from - width) * at);
      return [formatMicros(start), formatMicros(start + width)];
    },
  };
}
