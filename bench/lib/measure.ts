/** Latency of one kind of request, at a given concurrency, with a bounded count and time. */
import { HttpClient, runClients } from './http.ts';
import { ProcSampler } from './proc.ts';
import { type Summary, summarize } from './stats.ts';

export interface QueryResult extends Summary {
  /** Mean number of items in the answers (a JSON array's length, or `count(body)`). */
  items: number;
  maxRss?: number;
}

export interface QuerySpec {
  method?: string;
  /** Relative to the API root, e.g. `logs/filter`; a function varies it per request. */
  path: string | ((i: number) => string);
  /** The i-th request's headers (e.g. `If-None-Match`). */
  headers?: (i: number) => Record<string, string>;
  /** The i-th request's body (vary parameters so caches do not flatter the numbers). */
  body: (i: number) => string | undefined;
  /** Counts the items of an answer; default: length of a JSON array. */
  count?: (body: string) => number;
}

export async function measureQuery(
  apiUrl: string,
  pid: number,
  spec: QuerySpec,
  opts: { clients: number; requests: number; warmup?: number; maxSeconds?: number },
): Promise<QueryResult> {
  const http = new HttpClient(apiUrl, { connections: opts.clients });
  const count = spec.count ?? ((b: string) => (JSON.parse(b) as unknown[]).length);
  const method = spec.method ?? 'POST';
  const { path } = spec;
  const pathOf = typeof path === 'string' ? () => path : path;
  try {
    for (let i = 0; i < (opts.warmup ?? 5); i++) await http.ok(method, pathOf(i), spec.body(i), spec.headers?.(i));
    const lat: number[] = [];
    let items = 0;
    let next = 0;
    const sampler = new ProcSampler([pid]);
    const deadline = performance.now() + (opts.maxSeconds ?? 60) * 1000;
    await runClients(
      opts.clients,
      () => {
        if (next >= opts.requests) return undefined;
        const i = next++;
        return http.ok(method, pathOf(i), spec.body(i), spec.headers?.(i)).then((r) => {
          lat.push(r.ms);
          items += count(r.body);
        });
      },
      { deadline },
    );
    const proc = sampler.stop();
    return { ...summarize(lat), items: lat.length ? items / lat.length : 0, maxRss: proc.maxRss };
  } finally {
    http.close();
  }
}
