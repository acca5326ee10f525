/**
 * The soak (`npm run bench -- --soak 10m`; never in CI): one server under a steady mix for a long
 * time, to find what only time shows — memory that creeps, latency that drifts, an indexer that
 * falls behind.
 *
 * 1. Subscribers: 10 reading subscribers of each live stream, and 100 that never read (50 per
 *    stream) and stay connected (the server closes them with 1013 once they fall behind; a client
 *    that does not read never notices). Their first seconds — the kernel's socket buffers fill
 *    with rows rendered for them — pass before anything is measured.
 * 2. Calibration (30 s): the four operation classes (log batches, event batches, log filters,
 *    event filters — reads of one flow run each) run closed-loop side by side, two clients each;
 *    each class's rate is its measured maximum in that mix.
 * 3. Soak: each class is sent open-loop at half its maximum.
 * Every 10 s a CSV row: RSS (from /proc), the server's event-loop delay p99 (it logs it at
 *    `--log-level debug`), p99 and count per class, errors, open sockets, text-indexer lag, live
 *    deliveries.
 *
 * PASS: no errors; RSS ≤ 300 MB throughout, with a slope under 1 MB/min over the last two thirds;
 * the last minute's p99 (all requests) within 1.5× that of the first steady minute (the second).
 */
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import WebSocket from 'ws';
import { nowMicros } from '../../src/domain/time.ts';
import { openStore } from '../../src/store/open.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { readProc } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import { int, ms, percentile, slope } from '../lib/stats.ts';
import { EventDataset } from './events-data.ts';
import { LogDataset } from './logs-data.ts';

const SAMPLE_MS = 10_000;
const CALIBRATION_MS = 30_000;
const SETTLE_MS = 20_000;
const CLIENTS_PER_CLASS = 2;
const LIVE = 10;
const NON_READING = 100;
/** Requests of one class in flight past which the server counts as not keeping up. */
const MAX_IN_FLIGHT = 64;
const RSS_LIMIT_MB = 300;
const SLOPE_LIMIT = 1;
const P99_GROWTH_LIMIT = 1.5;
const DAY = 86_400_000_000;

type ClassName = 'logs-ingest' | 'events-ingest' | 'logs-filter' | 'events-filter';
const CLASSES: ClassName[] = ['logs-ingest', 'events-ingest', 'logs-filter', 'events-filter'];

interface Done {
  at: number;
  cls: ClassName;
  ms: number;
}

interface Row {
  t: number;
  rssMb: number;
  loopP99Ms: number;
  count: Record<ClassName, number>;
  p99: Record<ClassName, number>;
  errors: number;
  sockets: number;
  indexLag: number;
  liveLogs: number;
  liveEvents: number;
}

function openSockets(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return n;
}

/** Opens a `prefect`-subprotocol subscriber; `onMessage` sees every message after auth. */
function subscribe(url: string, filter: unknown, onMessage?: () => void): Promise<WebSocket> {
  return new Promise((resolveWs, reject) => {
    const ws = new WebSocket(url, ['prefect'], { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: null })));
    ws.once('message', () => {
      ws.send(JSON.stringify(filter));
      if (onMessage) ws.on('message', onMessage);
      resolveWs(ws);
    });
  });
}

export const soak: Workload = {
  name: 'soak',
  title: 'Soak: mixed load at half the maximum, live and non-reading subscribers',
  size: (args) => ({ n: args.soak ?? 0, noun: 'seconds' }),
  async run(ctx: BenchContext) {
    const seconds = ctx.args.soak ?? 600;
    let loopP99 = Number.NaN;
    const server = await ctx.server({
      serveArgs: ['--log-level', 'debug', '--ws-max-connections', '1000'],
      onLine: (line) => {
        if (!line.includes('"event loop delay"')) return;
        try {
          loopP99 = (JSON.parse(line) as { p99Ms: number }).p99Ms;
        } catch {
          // Not a whole JSON line: skip it.
        }
      },
    });
    const probe = await openStore({ url: server.db });
    ctx.onClose(() => probe.close());
    const http = new HttpClient(server.apiUrl, {
      connections: CLIENTS_PER_CLASS * CLASSES.length + 8,
      timeoutMs: 30_000,
    });
    ctx.onClose(async () => http.close());

    const logs = new LogDataset({ total: 1e9, end: nowMicros() + DAY, spanMicros: 30 * DAY });
    // Events occur from now on, inside the live subscribers' window.
    const events = new EventDataset({ total: 1e9, end: nowMicros() + DAY, spanMicros: DAY, payloadBytes: [300, 1500] });
    // Reads whose cost is bounded by one flow run, not by everything stored: in a database that
    // grows all through the soak, a read that scans more each minute would show drift that is
    // only growth (the other workloads measure those reads at fixed sizes).
    let k = 0;
    const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[k % xs.length] : undefined);
    const ops: Record<ClassName, () => Promise<void>> = {
      'logs-ingest': () => http.ok('POST', 'logs/', logs.nextBody(200)).then(() => {}),
      'events-ingest': () => http.ok('POST', 'events', JSON.stringify(events.next(50))).then(() => {}),
      'logs-filter': () => {
        const run = { any_: [pick(logs.flowRuns())?.id ?? '00000000-0000-4000-8000-000000000000'] };
        const body =
          k++ % 2
            ? { logs: { flow_run_id: run }, limit: 200 }
            : { logs: { flow_run_id: run, text: { query: 'records' } }, limit: 50 };
        return http.ok('POST', 'logs/filter', JSON.stringify(body)).then(() => {});
      },
      'events-filter': () => {
        const run = `prefect.flow-run.${pick(events.flowRuns())?.id ?? '00000000-0000-4000-8000-000000000000'}`;
        const filter =
          k++ % 2 ? { resource: { id: [run] } } : { related: { id: [run] }, event: { prefix: ['prefect.task-run.'] } };
        return http.ok('POST', 'events/filter', JSON.stringify({ filter, limit: 50 })).then(() => {});
      },
    };

    const done: Done[] = [];
    const errorLog: string[] = [];
    let errors = 0;
    const fail = (what: string) => {
      errors++;
      if (errorLog.length < 10) errorLog.push(what);
    };
    const timed = async (cls: ClassName) => {
      const t0 = performance.now();
      try {
        await ops[cls]();
        done.push({ at: performance.now(), cls, ms: performance.now() - t0 });
      } catch (err) {
        fail(`${cls}: ${(err as Error).message.slice(0, 200)}`);
      }
    };

    // Subscribers: reading ones count deliveries and must stay open.
    const wsBase = server.apiUrl.replace(/^http/, 'ws');
    let liveLogs = 0;
    let liveEvents = 0;
    let stopping = false;
    const live: WebSocket[] = [];
    for (let i = 0; i < LIVE; i++) {
      live.push(
        await subscribe(`${wsBase}/logs/out`, { type: 'filter', filter: { level: { ge_: 30 } } }, () => liveLogs++),
      );
      live.push(
        await subscribe(
          `${wsBase}/events/out`,
          { type: 'filter', filter: { event: { prefix: ['prefect.flow-run.'] } }, backfill: false },
          () => liveEvents++,
        ),
      );
    }
    for (const ws of live)
      ws.on('close', (code, reason) => stopping || fail(`live subscriber closed: ${code} ${reason.toString()}`));
    const silent: WebSocket[] = [];
    for (let i = 0; i < NON_READING; i++) {
      const ws = await subscribe(`${wsBase}${i % 2 ? '/events/out' : '/logs/out'}`, {
        type: 'filter',
        filter: {},
        backfill: false,
      });
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      silent.push(ws);
    }
    ctx.onClose(async () => {
      stopping = true;
      for (const ws of [...live, ...silent]) ws.terminate();
    });

    const socketsWithSilent = openSockets(server.pid);
    // Some ingest, so that the subscribers that do not read fill their buffers and stall.
    const settleEnd = performance.now() + SETTLE_MS;
    while (performance.now() < settleEnd) await Promise.all([timed('logs-ingest'), timed('events-ingest')]);
    done.length = 0;

    // 2. Calibration: closed loop, CLIENTS_PER_CLASS per class.
    log(`soak: calibrating for ${CALIBRATION_MS / 1000} s`);
    const calStart = performance.now();
    const calEnd = calStart + CALIBRATION_MS;
    await Promise.all(
      CLASSES.flatMap((cls) =>
        Array.from({ length: CLIENTS_PER_CLASS }, async () => {
          while (performance.now() < calEnd) await timed(cls);
        }),
      ),
    );
    const calSeconds = (performance.now() - calStart) / 1000;
    const maxRate = Object.fromEntries(
      CLASSES.map((c) => [c, done.filter((d) => d.cls === c).length / calSeconds]),
    ) as Record<ClassName, number>;
    const rate = Object.fromEntries(CLASSES.map((c) => [c, maxRate[c] / 2])) as Record<ClassName, number>;
    log(
      `soak: maxima ${CLASSES.map((c) => `${c} ${maxRate[c].toFixed(1)}/s`).join(', ')}; running at half for ${seconds} s`,
    );
    if (errors) log(`soak: ${errors} errors during calibration: ${errorLog.join('; ')}`);
    done.length = 0;
    const calibrationErrors = errors;
    errors = 0;
    errorLog.length = 0;

    // 3. Soak: open loop at half the maxima.
    const socketsAtStart = openSockets(server.pid);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    const inFlight: Record<ClassName, number> = {
      'logs-ingest': 0,
      'events-ingest': 0,
      'logs-filter': 0,
      'events-filter': 0,
    };
    const senders = CLASSES.map(async (cls) => {
      const interval = 1000 / rate[cls];
      for (let i = 0; ; i++) {
        const due = t0 + i * interval;
        if (due >= end) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (inFlight[cls] >= MAX_IN_FLIGHT) {
          fail(`${cls}: ${MAX_IN_FLIGHT} requests in flight, the server is not keeping up`);
          continue;
        }
        inFlight[cls]++;
        void timed(cls).finally(() => inFlight[cls]--);
      }
    });

    const rows: Row[] = [];
    let taken = 0;
    let seenLogs = 0;
    let seenEvents = 0;
    const sampler = (async () => {
      for (let n = 1; t0 + n * SAMPLE_MS <= end + 1; n++) {
        await new Promise((r) => setTimeout(r, t0 + n * SAMPLE_MS - performance.now()));
        const window = done.slice(taken);
        taken = done.length;
        const count = {} as Record<ClassName, number>;
        const p99 = {} as Record<ClassName, number>;
        for (const c of CLASSES) {
          const lat = window
            .filter((d) => d.cls === c)
            .map((d) => d.ms)
            .sort((a, b) => a - b);
          count[c] = lat.length;
          p99[c] = percentile(lat, 99);
        }
        const row: Row = {
          t: Math.round((performance.now() - t0) / 1000),
          rssMb: (readProc(server.pid)?.rss ?? Number.NaN) / 1e6,
          loopP99Ms: loopP99,
          count,
          p99,
          errors,
          sockets: openSockets(server.pid),
          indexLag: await probe.logs.textIndexLag(),
          liveLogs: liveLogs - seenLogs,
          liveEvents: liveEvents - seenEvents,
        };
        seenLogs = liveLogs;
        seenEvents = liveEvents;
        rows.push(row);
        log(
          `soak ${row.t}s: RSS ${row.rssMb.toFixed(0)} MB, loop p99 ${ms(row.loopP99Ms)} ms, ` +
            `${CLASSES.map((c) => `${c} ${count[c]} p99 ${ms(p99[c])}`).join(', ')}, errors ${errors}, sockets ${row.sockets}, index lag ${int(row.indexLag)}`,
        );
      }
    })();
    await Promise.all(senders);
    await sampler;
    // Requests still in flight finish (or fail) before the verdict.
    const drainEnd = performance.now() + 30_000;
    while (CLASSES.some((c) => inFlight[c] > 0) && performance.now() < drainEnd)
      await new Promise((r) => setTimeout(r, 50));

    // CSV and verdict.
    const engine = ctx.engine;
    const csvPath = join(dirname(resolve(ctx.args.out)), `soak-${engine}.csv`);
    const header = [
      't_s',
      'rss_mb',
      'loop_p99_ms',
      ...CLASSES.flatMap((c) => [`${c}_n`, `${c}_p99_ms`]),
      'errors',
      'open_sockets',
      'index_lag',
      'live_logs',
      'live_events',
    ];
    const csv = [
      header.join(','),
      ...rows.map((r) =>
        [
          r.t,
          r.rssMb.toFixed(1),
          r.loopP99Ms,
          ...CLASSES.flatMap((c) => [r.count[c], r.p99[c].toFixed(2)]),
          r.errors,
          r.sockets,
          r.indexLag,
          r.liveLogs,
          r.liveEvents,
        ].join(','),
      ),
    ];
    writeFileSync(csvPath, `${csv.join('\n')}\n`);

    const minuteP99 = (from: number, to: number, cls?: ClassName) =>
      percentile(
        done
          .filter((d) => d.at >= t0 + from * 1000 && d.at < t0 + to * 1000 && (!cls || d.cls === cls))
          .map((d) => d.ms)
          .sort((a, b) => a - b),
        99,
      );
    const firstSteady = [60, 120] as const;
    const last = [seconds - 60, seconds] as const;
    const p99First = minuteP99(...firstSteady);
    const p99Last = minuteP99(...last);
    const tail = rows.slice(Math.floor(rows.length / 3));
    const rssSlope = slope(
      tail.map((r) => r.t / 60),
      tail.map((r) => r.rssMb),
    );
    const maxRss = Math.max(...rows.map((r) => r.rssMb));
    const checks: [string, string, boolean][] = [
      ['errors', `${errors} (calibration: ${calibrationErrors})`, errors === 0],
      [`max RSS ≤ ${RSS_LIMIT_MB} MB`, `${maxRss.toFixed(0)} MB`, maxRss <= RSS_LIMIT_MB],
      [
        `RSS slope over the last two thirds < ${SLOPE_LIMIT} MB/min`,
        `${rssSlope.toFixed(2)} MB/min`,
        rssSlope < SLOPE_LIMIT,
      ],
      [
        `last minute's p99 ≤ ${P99_GROWTH_LIMIT}× the first steady minute's (all requests)`,
        `${ms(p99Last)} ms vs ${ms(p99First)} ms (${(p99Last / p99First).toFixed(2)}×)`,
        p99Last <= P99_GROWTH_LIMIT * p99First,
      ],
    ];
    const pass = seconds >= 180 && checks.every(([, , ok]) => ok);
    process.stdout.write(
      `${pass ? 'PASS' : 'FAIL'}: soak ${seconds} s on ${engine}\n${checks.map(([w, v, ok]) => `  ${ok ? 'ok  ' : 'FAIL'} ${w}: ${v}`).join('\n')}\n`,
    );
    if (errorLog.length) process.stdout.write(`  first errors: ${errorLog.join('\n    ')}\n`);

    const perMinute: string[][] = [];
    for (let m = 0; m * 60 < seconds; m++) {
      const inMinute = rows.filter((r) => r.t > m * 60 && r.t <= (m + 1) * 60);
      if (!inMinute.length) continue;
      perMinute.push([
        String(m + 1),
        `${Math.max(...inMinute.map((r) => r.rssMb)).toFixed(0)}`,
        ms(Math.max(...inMinute.map((r) => r.loopP99Ms))),
        ...CLASSES.map((c) => ms(minuteP99(m * 60, (m + 1) * 60, c))),
        ms(minuteP99(m * 60, (m + 1) * 60)),
        String(inMinute[inMinute.length - 1].errors),
        String(Math.max(...inMinute.map((r) => r.sockets))),
        int(Math.max(...inMinute.map((r) => r.indexLag))),
        int(inMinute.reduce((a, r) => a + r.liveLogs, 0)),
        int(inMinute.reduce((a, r) => a + r.liveEvents, 0)),
      ]);
    }
    return [
      `**${pass ? 'PASS' : 'FAIL'}.** Calibrated maxima (closed loop, ${CLIENTS_PER_CLASS} clients per class, subscribers attached, ${CALIBRATION_MS / 1000} s):`,
      `${CLASSES.map((c) => `${c} ${maxRate[c].toFixed(1)} req/s`).join(', ')}; the soak sends each at half that, open loop`,
      `(log batches of 200, event batches of 50; reads of one flow run: its logs, or its logs matching a term; its events,`,
      `or its task runs' events),`,
      `with ${LIVE} reading subscribers of each live stream and ${NON_READING} that never read (half per stream, connected`,
      `before the calibration: the server's open sockets were ${socketsWithSilent} once they had joined and ${socketsAtStart} when the soak`,
      `began, the rest closed with 1013 as they fell behind). Per 10 s: \`${csvPath.slice(csvPath.lastIndexOf('bench/'))}\`. Per minute below (max of the minute's samples for RSS,`,
      "loop delay, sockets and lag; p99 in ms over the minute's requests; live = messages the reading subscribers got).",
      '',
      table(
        [
          'min',
          'RSS MB',
          'loop p99',
          ...CLASSES.map((c) => `${c} p99`),
          'all p99',
          'errors',
          'sockets',
          'index lag',
          'live logs',
          'live events',
        ],
        perMinute,
      ),
      '',
      table(
        ['check', 'measured', ''],
        checks.map(([w, v, ok]) => [w, v, ok ? 'ok' : '**FAIL**']),
      ),
      ...(errorLog.length ? ['', `First errors: ${errorLog.map((e) => `\`${e}\``).join('; ')}`] : []),
    ].join('\n');
  },
};
