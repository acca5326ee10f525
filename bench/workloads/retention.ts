/**
 * `npm run bench -- --retention` (issue 24): 30 days of logs and events (`--logs` of each), then
 * 20 of them removed by the server's own sweep while logs keep arriving at half the measured
 * ingest maximum — once under the flags (PostgreSQL: whole day partitions) and once under a
 * shorter per-workspace setting (rows) — and, on SQLite, the file size over ten ingest-and-sweep
 * cycles. Ingest latency is split by whether the request was sent before or during the sweep.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { formatMicros, type Micros, nowMicros, parseIsoMicros } from '../../src/domain/time.ts';
import { openStore } from '../../src/store/open.ts';
import { trackChild } from '../lib/cleanup.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { REPO_ROOT, type ServerHandle } from '../lib/server.ts';
import { int, mb, ms, summarize } from '../lib/stats.ts';
import { EventDataset } from './events-data.ts';
import { loadHttp } from './events-fixture.ts';
import { LogDataset } from './logs-data.ts';
import { loadLogs } from './logs-fixture.ts';

const DAY = 86_400 * 1_000_000;
const SPAN_DAYS = 30;
/** The first sweep starts this long after the server: the idle latency is measured meanwhile. */
const IDLE_SECONDS = 20;
/** Logs per paced ingest request. */
const PACED_BATCH = 200;
const CYCLES = 10;

interface Phase {
  label: string;
  sweepSeconds: number;
  removed: { logs: number; events: number };
  idle: { p50: number; p99: number; n: number };
  during: { p50: number; p99: number; n: number };
  sizeBefore?: number;
  sizeAfter?: number;
}

async function databaseSize(server: ServerHandle): Promise<number | undefined> {
  const r = await new HttpClient(server.apiUrl.replace(/\/api$/, '')).request('GET', 'metrics');
  const m = /^sightline_database_size_bytes (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(r.body);
  return m ? Number(m[1]) : undefined;
}

/** Runs `sightline <args>` as a user would; rejects with its output when it fails. */
function cli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
  trackChild(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`sightline ${args.join(' ')} failed (${code}): ${out}`)),
    ),
  );
}

/**
 * Starts a server that sweeps `IDLE_SECONDS` after start, sends logs at `rate` a second from then
 * until a few seconds after that sweep finished, and splits the latencies at the sweep's start.
 */
async function sweepUnderIngest(
  ctx: BenchContext,
  db: string,
  label: string,
  rate: number,
  dataset: LogDataset,
): Promise<Phase> {
  const since = nowMicros();
  const server = await ctx.server({
    db,
    serveArgs: ['--retention-logs', '10d', '--retention-events', '10d', '--retention-interval', `${IDLE_SECONDS}s`],
  });
  const sizeBefore = await databaseSize(server);
  const http = new HttpClient(server.apiUrl, { connections: 16, timeoutMs: 300_000 });
  const sent: { at: Micros; ms: number }[] = [];
  const every = (PACED_BATCH / rate) * 1000;
  let stop = false;
  const inFlight = new Set<Promise<void>>();
  const pacer = (async () => {
    const t0 = performance.now();
    for (let i = 0; !stop; i++) {
      const wait = t0 + i * every - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight.size >= 16) await Promise.race(inFlight);
      const at = nowMicros();
      const p = http.ok('POST', 'logs/', dataset.nextBody(PACED_BATCH)).then((r) => {
        sent.push({ at, ms: r.ms });
      });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  })();
  const status = new HttpClient(server.apiUrl);
  let sweep: { started: string; finished: string; removed: { logs: number; events: number } } | undefined;
  const deadline = Date.now() + 30 * 60_000;
  // The previous phase's sweep is on record too: wait for one that started after this server.
  while (!sweep || parseIsoMicros(sweep.started)! < since) {
    if (Date.now() > deadline) throw new Error(`${label}: no sweep finished within 30 minutes`);
    await new Promise((r) => setTimeout(r, 250));
    sweep = JSON.parse((await status.ok('GET', 'admin/retention')).body).last_sweep ?? undefined;
  }
  await new Promise((r) => setTimeout(r, 3000));
  stop = true;
  await pacer;
  http.close();
  status.close();
  const started = parseIsoMicros(sweep.started)!;
  const finished = parseIsoMicros(sweep.finished)!;
  const split = (keep: (at: Micros) => boolean) => {
    const s = summarize(sent.filter((x) => keep(x.at)).map((x) => x.ms));
    return { p50: s.p50, p99: s.p99, n: s.n };
  };
  const sizeAfter = await databaseSize(server);
  await server.stop();
  log(`   ${label}: sweep ${((finished - started) / 1e6).toFixed(1)} s, removed ${JSON.stringify(sweep.removed)}`);
  return {
    label,
    sweepSeconds: (finished - started) / 1e6,
    removed: sweep.removed,
    idle: split((at) => at < started),
    during: split((at) => at >= started && at <= finished),
    sizeBefore,
    sizeAfter,
  };
}

export const retention: Workload = {
  name: 'retention',
  title: 'Retention: removing 20 of 30 days while ingesting',
  size: (args) => ({ n: args.logs, noun: 'logs and as many events over 30 days' }),
  async run(ctx: BenchContext) {
    const n = ctx.args.logs;
    const now = nowMicros();
    const first = await ctx.server();
    const db = first.db;
    const probe = await openStore({ url: db });
    ctx.onClose(() => probe.close());
    const logs = new LogDataset({ total: n, end: now, spanMicros: SPAN_DAYS * DAY });
    log(`   loading ${n} logs over ${SPAN_DAYS} days`);
    const load = await loadLogs(
      { server: first, dataset: logs, probe },
      { clients: 4, batch: 1000, count: n, pregenerate: false },
    );
    log(`   loading ${n} events over ${SPAN_DAYS} days`);
    const events = new EventDataset({ total: n, end: now, spanMicros: SPAN_DAYS * DAY, payloadBytes: [300, 2000] });
    const bodies: { n: number; body: string }[] = [];
    for (let left = n; left > 0; left -= 500) {
      const k = Math.min(500, left);
      bodies.push({ n: k, body: JSON.stringify(events.next(k)) });
    }
    await loadHttp(first, bodies, 4);
    bodies.length = 0;
    await first.stop();
    // Half the maximum measured while loading; new logs carry current timestamps.
    const rate = Math.round(load.rate / 2);
    const live = new LogDataset({ total: 10_000_000, end: now + 3600e6, spanMicros: 3600e6, seed: 7 });
    log(`   ingest while sweeping at ${rate} logs/s (half of ${Math.round(load.rate)})`);
    const phases: Phase[] = [];
    phases.push(
      await sweepUnderIngest(
        ctx,
        db,
        ctx.engine === 'postgres' ? 'flags, 10d: whole day partitions' : 'flags, 10d',
        rate,
        live,
      ),
    );
    const ws = first.workspaceId;
    await cli(['workspaces', 'set-retention', ws, '--db', db, '--logs', '5d', '--events', '5d']);
    phases.push(await sweepUnderIngest(ctx, db, 'workspace setting, 5d: rows', rate, live));

    const rows = phases.map((p) => [
      p.label,
      `${p.sweepSeconds.toFixed(1)} s`,
      `${int(p.removed.logs)} / ${int(p.removed.events)}`,
      int((p.removed.logs + p.removed.events) / Math.max(p.sweepSeconds, 0.001)),
      `${ms(p.idle.p50)} / ${ms(p.idle.p99)} (${p.idle.n})`,
      `${ms(p.during.p50)} / ${ms(p.during.p99)} (${p.during.n})`,
      (p.during.p99 / p.idle.p99).toFixed(2),
      `${mb(p.sizeBefore)} → ${mb(p.sizeAfter)}`,
    ]);
    let body =
      `Loaded ${int(n)} logs (${int(load.rate)} logs/s, 4 clients × 1000) and ${int(n)} events spread over ` +
      `${SPAN_DAYS} days, then each server sweeps ${IDLE_SECONDS} s after its start while one paced client ` +
      `sends ${PACED_BATCH}-log batches at ${int(rate)} logs/s (half the load rate). "Idle" is the requests ` +
      'sent before the sweep started, "during" those sent while it ran.\n\n' +
      '| sweep | duration | removed logs / events | rows/s | ingest p50 / p99 idle (requests) | p50 / p99 during | p99 ratio | database size |\n' +
      '| --- | --- | --- | --- | --- | --- | --- | --- |\n' +
      rows.map((r) => `| ${r.join(' | ')} |`).join('\n');

    if (ctx.engine === 'sqlite') body += `\n\n${await sqliteCycles(ctx, n)}`;
    return body;
  },
};

/**
 * Ten cycles on a fresh SQLite database: a day of logs (a tenth of `--logs`) arrives, then
 * `sightline retention run` keeps the last two days. Freed pages are reused, so the file should
 * stop growing after the first cycles.
 */
async function sqliteCycles(ctx: BenchContext, n: number): Promise<string> {
  const server = await ctx.server();
  const probe = await openStore({ url: server.db });
  const per = Math.floor(n / CYCLES);
  const base = nowMicros() - (CYCLES + 2) * DAY;
  const sizes: string[] = [];
  try {
    for (let i = 0; i < CYCLES; i++) {
      const dataset = new LogDataset({ total: per, end: base + (i + 1) * DAY, spanMicros: DAY, seed: 100 + i });
      await loadLogs({ server, dataset, probe }, { clients: 4, batch: 1000, count: per, pregenerate: false });
      // Keep cycle i and i − 1: the cutoff is the start of day i − 1.
      const keepSeconds = Math.ceil((nowMicros() - (base + (i - 1) * DAY)) / 1e6);
      await cli(['retention', 'run', '--db', server.db, '--retention-logs', `${keepSeconds}s`]);
      const file = server.db.slice('sqlite:'.length);
      const size = (suffix: string) => (existsSync(file + suffix) ? statSync(file + suffix).size : 0);
      const [main, wal, text] = [size(''), size('-wal'), size('-text') + size('-text-wal')];
      sizes.push(`${mb(main + wal + text)} (${mb(main)} + WAL ${mb(wal)} + text ${mb(text)})`);
      log(`   cycle ${i + 1}: ${sizes.at(-1)}`);
    }
  } finally {
    await probe.close();
    await server.stop();
  }
  return (
    `SQLite files after each of ${CYCLES} cycles of ${int(per)} logs in, everything older than two cycles ` +
    `out (\`sightline retention run\` beside the running server; ${formatMicros(base)} onwards): total ` +
    '(database + its WAL + text index with its WAL).\n\n| cycle | files |\n| --- | --- |\n' +
    sizes.map((s, i) => `| ${i + 1} | ${s} |`).join('\n')
  );
}
