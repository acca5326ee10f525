/**
 * The shared log dataset: one server whose database is filled with `--logs` generated logs, read
 * by every log workload of the run. `load` pushes logs over HTTP at full speed while sampling the
 * text indexer's lag and the server's RSS and CPU; it is also how the ingest workload measures.
 */

import { nowMicros } from '../../src/domain/time.ts';
import type { Store } from '../../src/store/contract.ts';
import { openStore } from '../../src/store/open.ts';
import type { BenchContext } from '../lib/context.ts';
import { log } from '../lib/context.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import type { ServerHandle } from '../lib/server.ts';
import { summarize } from '../lib/stats.ts';
import { LogDataset } from './logs-data.ts';

/** The dataset's timeline: a week of logs ending when the run started. */
const SPAN_MICROS = 7 * 86_400 * 1_000_000;

export interface LogsFixture {
  server: ServerHandle;
  dataset: LogDataset;
  /** A second connection to the server's database, used only to read the text indexer's lag. */
  probe: Store;
}

export function logsFixture(ctx: BenchContext): Promise<LogsFixture> {
  return ctx.fixture('logs', async () => {
    const server = await ctx.server();
    const probe = await openStore({ url: server.db });
    ctx.onClose(() => probe.close());
    const dataset = new LogDataset({ total: ctx.args.logs, end: nowMicros(), spanMicros: SPAN_MICROS });
    return { server, dataset, probe };
  });
}

export interface LoadResult {
  clients: number;
  batch: number;
  logs: number;
  seconds: number;
  /** Acknowledged logs per second. */
  rate: number;
  reqP50: number;
  reqP99: number;
  /** Largest text-index lag sampled while loading, and the lag at the last acknowledgement. */
  maxLag: number;
  endLag: number;
  /** Time from the last acknowledgement until the text index had caught up. */
  catchUpSeconds: number;
  /** Logs per second counting until the text index had caught up. */
  indexedRate: number;
  maxRss?: number;
  /** Server CPU while loading, in cores (the server's JavaScript and SQLite share one thread). */
  serverCpu?: number;
  /** Server CPU time per acknowledged log, µs (less sensitive than rates to other load on the machine). */
  cpuPerLog?: number;
  /** CPU of this benchmark process while loading, in cores. */
  clientCpu: number;
}

/**
 * Sends `count` logs in batches of `batch` from `clients` parallel keep-alive clients, each
 * sending its next request when the previous one was acknowledged.
 * `pregenerate`: build every body first, so that generating data is not part of the timing.
 */
export async function loadLogs(
  fx: LogsFixture,
  opts: { clients: number; batch: number; count: number; pregenerate: boolean },
): Promise<LoadResult> {
  const { clients, batch, count } = opts;
  const bodies: string[] = [];
  if (opts.pregenerate)
    for (let left = count; left > 0; left -= batch) bodies.push(fx.dataset.nextBody(Math.min(batch, left)));
  let remaining = count;
  let taken = 0;
  const claim = (): { n: number; body: string } | undefined => {
    if (remaining <= 0) return undefined;
    const n = Math.min(batch, remaining);
    remaining -= n;
    return { n, body: opts.pregenerate ? bodies[taken++] : fx.dataset.nextBody(n) };
  };

  const http = new HttpClient(fx.server.apiUrl, { connections: clients });
  const latencies: number[] = [];
  let sent = 0;
  let maxLag = 0;
  let sampling = true;
  const lagLoop = (async () => {
    while (sampling) {
      maxLag = Math.max(maxLag, await fx.probe.logs.textIndexLag());
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  const sampler = new ProcSampler([fx.server.pid]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const prefetched: ({ n: number; body: string } | undefined)[] = new Array(clients);
  try {
    await runClients(clients, (c) => {
      const job = prefetched[c] ?? claim();
      prefetched[c] = undefined;
      if (!job) return undefined;
      const p = http.ok('POST', 'logs/', job.body).then((r) => {
        latencies.push(r.ms);
        sent += job.n;
      });
      // Without pre-generated bodies, build the next one while this request is in flight.
      if (!opts.pregenerate) prefetched[c] = claim();
      return p;
    });
  } finally {
    sampling = false;
    http.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const clientCpu = cpuSeconds(process.cpuUsage(cpu0)) / seconds;
  const proc = sampler.stop();
  await lagLoop;
  const endLag = await fx.probe.logs.textIndexLag();
  maxLag = Math.max(maxLag, endLag);
  const catchUpSeconds = await waitIndexed(fx, 30 * 60_000);
  const lat = summarize(latencies);
  return {
    clients,
    batch,
    logs: sent,
    seconds,
    rate: sent / seconds,
    reqP50: lat.p50,
    reqP99: lat.p99,
    maxLag,
    endLag,
    catchUpSeconds,
    indexedRate: sent / (seconds + catchUpSeconds),
    maxRss: proc.maxRss,
    serverCpu: proc.cpuCores,
    cpuPerLog: proc.cpuCores === undefined ? undefined : (proc.cpuCores * seconds * 1e6) / sent,
    clientCpu,
  };
}

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

/** Waits until the text index has caught up; returns the seconds waited. */
export async function waitIndexed(fx: LogsFixture, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while ((await fx.probe.logs.textIndexLag()) > 0) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`text index did not catch up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Tops the dataset up to `--logs` stored logs (4 clients, batches of 1000, bodies generated on
 * the fly) and waits for the text index. Returns the load's figures, or undefined when nothing
 * was missing.
 */
export async function ensureLogs(ctx: BenchContext): Promise<LoadResult | undefined> {
  const fx = await logsFixture(ctx);
  const missing = fx.dataset.total - fx.dataset.generated;
  if (missing <= 0) return undefined;
  log(`loading ${missing.toLocaleString('en-US')} logs (4 clients, batches of 1000)`);
  const r = await loadLogs(fx, { clients: 4, batch: 1000, count: missing, pregenerate: false });
  log(
    `loaded at ${Math.round(r.rate).toLocaleString('en-US')} logs/s; text index caught up ${r.catchUpSeconds.toFixed(1)} s later`,
  );
  return r;
}
