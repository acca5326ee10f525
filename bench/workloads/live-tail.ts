/**
 * A live tail under steady ingest: one `/logs/out` subscriber follows the whole workspace while
 * logs arrive over HTTP at a fixed rate (3,000 logs/s for 25 s, in batches every 100 ms), each
 * message padded to about 1.5 kB (a traceback-sized line; `ws` compresses messages over 1 KiB). The
 * subscriber is the `ws` client with its defaults, as `sightline logs --follow` is: it offers
 * permessage-deflate, and the server decides. A second run offers no extension. Each run reports
 * the logs delivered, how the stream ended, the subscriber's lag and the server's CPU.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import type { ServerHandle } from '../lib/server.ts';
import { int, mb } from '../lib/stats.ts';
import { LogDataset } from './logs-data.ts';

const RATE = 3000;
const SECONDS = 25;
const TICK_MS = 1000;
const MESSAGE_CHARS = 1500;
const FILLER = randomBytes(4096).toString('base64');
/** After the last batch, how long the subscriber may take to receive the rest. */
const DRAIN_MS = 30_000;

interface TailResult {
  offered: boolean;
  extensions: string;
  sent: number;
  delivered: number;
  closed: string;
  /** Logs still on their way when ingest ended, and how long the rest took. */
  lagAtEnd: number;
  drainSeconds: number;
  serverCpu?: number;
  maxRss?: number;
}

async function tail(server: ServerHandle, deflate: boolean): Promise<TailResult> {
  const url = `${server.apiUrl.replace(/^http/, 'ws')}/logs/out`;
  const ws = new WebSocket(url, ['prefect'], deflate ? {} : { perMessageDeflate: false });
  let delivered = 0;
  let closed = 'open at the end';
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string };
      if (msg.type === 'auth_success') {
        ws.send(JSON.stringify({ type: 'filter', filter: {} }));
        resolve();
      } else if (msg.type === 'log') delivered++;
    });
  });
  ws.on('close', (code, reason) => {
    closed = `${code} ${reason.toString()}`.trim();
  });
  await ready;
  await new Promise((r) => setTimeout(r, 200));

  const dataset = new LogDataset({ total: RATE * SECONDS, end: Date.now() * 1000, spanMicros: 3600 * 1_000_000 });
  const perTick = (RATE * TICK_MS) / 1000;
  const pad = (m: string) => (m.length >= MESSAGE_CHARS ? m : `${m} ${FILLER.slice(0, MESSAGE_CHARS - m.length - 1)}`);
  const bodies = Array.from({ length: (SECONDS * 1000) / TICK_MS }, () =>
    JSON.stringify(
      (JSON.parse(dataset.nextBody(perTick)) as { message: string }[]).map((l) => ({ ...l, message: pad(l.message) })),
    ),
  );
  const http = new HttpClient(server.apiUrl, { connections: 4 });
  const sampler = new ProcSampler([server.pid]);
  let sent = 0;
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const due = t0 + i * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(http.ok('POST', 'logs/', bodies[i]).then(() => (sent += perTick)));
  }
  await Promise.all(inFlight);
  http.close();
  const lagAtEnd = sent - delivered;
  const drainStart = performance.now();
  while (delivered < sent && ws.readyState === ws.OPEN && performance.now() - drainStart < DRAIN_MS)
    await new Promise((r) => setTimeout(r, 50));
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const proc = sampler.stop();
  const extensions = ws.extensions || 'none';
  ws.close();
  return {
    offered: deflate,
    extensions,
    sent,
    delivered,
    closed,
    lagAtEnd,
    drainSeconds,
    serverCpu: proc.cpuCores,
    maxRss: proc.maxRss,
  };
}

export const liveTail: Workload = {
  name: 'live-tail',
  title: `Live tail (\`/logs/out\`) at ${int(RATE)} logs/s`,
  size: () => ({ n: RATE * SECONDS, noun: 'logs' }),
  async run(ctx: BenchContext) {
    const rows: string[][] = [];
    for (const deflate of [true, false]) {
      // A fresh server for each: the second run must not inherit the first one's backlog.
      const server = await ctx.server();
      log(`live tail, client ${deflate ? 'offering' : 'not offering'} permessage-deflate`);
      const r = await tail(server, deflate);
      log(`  delivered ${int(r.delivered)} of ${int(r.sent)}; ${r.closed}`);
      rows.push([
        r.offered ? 'ws defaults (offers permessage-deflate)' : 'perMessageDeflate: false',
        r.extensions,
        int(r.sent),
        `**${int(r.delivered)}**`,
        int(r.lagAtEnd),
        r.drainSeconds.toFixed(1),
        r.closed,
        r.serverCpu === undefined ? 'n/a' : r.serverCpu.toFixed(2),
        mb(r.maxRss),
      ]);
    }
    return [
      `Logs posted in batches of ${(RATE * TICK_MS) / 1000} every ${TICK_MS} ms for ${SECONDS} s to a new server; one subscriber`,
      'follows the whole workspace. "Behind at end" = logs acknowledged but not yet received when the last',
      `batch was acknowledged; the subscriber then gets up to ${DRAIN_MS / 1000} s for the rest. CPU in cores.`,
      '',
      table(
        [
          'client',
          'negotiated',
          'logs sent',
          'delivered',
          'behind at end',
          'drain s',
          'stream end',
          'server CPU',
          'max RSS',
        ],
        rows,
      ),
    ].join('\n');
  },
};
