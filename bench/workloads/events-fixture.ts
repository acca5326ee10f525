/**
 * Event loading for the benchmark: over `POST /api/events` (batches from parallel keep-alive
 * clients) and over the `/api/events/in` websocket the way the Prefect client streams (one event
 * per frame, a ping every 700 events, done when the last pong arrives — a pong acknowledges every
 * event sent before its ping). Also the shared event dataset: one server filled with `--events`.
 */
import { WebSocket } from 'ws';
import { nowMicros } from '../../src/domain/time.ts';
import type { Store } from '../../src/store/contract.ts';
import { openStore } from '../../src/store/open.ts';
import { type BenchContext, log } from '../lib/context.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import type { ServerHandle } from '../lib/server.ts';
import { summarize } from '../lib/stats.ts';
import { EventDataset } from './events-data.ts';

const SPAN_MICROS = 7 * 86_400 * 1_000_000;
const CHECKPOINT_EVERY = 700;

export interface EventLoad {
  events: number;
  /** From the first request (or frame) until the last acknowledgement: all visible then. */
  seconds: number;
  rate: number;
  reqP50?: number;
  reqP99?: number;
  maxRss?: number;
  serverCpu?: number;
}

export async function loadHttp(
  server: ServerHandle,
  bodies: { n: number; body: string }[],
  clients: number,
): Promise<EventLoad> {
  const http = new HttpClient(server.apiUrl, { connections: clients });
  const lat: number[] = [];
  let next = 0;
  let events = 0;
  const sampler = new ProcSampler([server.pid]);
  const t0 = performance.now();
  try {
    await runClients(clients, () => {
      if (next >= bodies.length) return undefined;
      const b = bodies[next++];
      return http.ok('POST', 'events', b.body).then((r) => {
        lat.push(r.ms);
        events += b.n;
      });
    });
  } finally {
    http.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const proc = sampler.stop();
  const s = summarize(lat);
  return {
    events,
    seconds,
    rate: events / seconds,
    reqP50: s.p50,
    reqP99: s.p99,
    maxRss: proc.maxRss,
    serverCpu: proc.cpuCores,
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // Offer permessage-deflate as the Prefect client does; the server decides.
    const ws = new WebSocket(url, ['prefect'], { perMessageDeflate: true });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: null }));
      ws.once('message', () => resolve(ws));
    });
  });
}

function ping(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(String(Math.random()));
    const timer = setTimeout(() => reject(new Error('no pong within 120 s')), 120_000);
    const onPong = (d: Buffer) => {
      if (!d.equals(data)) return;
      clearTimeout(timer);
      ws.off('pong', onPong);
      resolve();
    };
    ws.on('pong', onPong);
    ws.ping(data);
  });
}

/** Streams pre-serialised frames over `connections` sockets (split evenly). */
export async function loadWebsocket(server: ServerHandle, frames: string[], connections: number): Promise<EventLoad> {
  const url = `${server.apiUrl.replace(/^http/, 'ws')}/events/in`;
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(url)));
  const sampler = new ProcSampler([server.pid]);
  const t0 = performance.now();
  await Promise.all(
    sockets.map(async (ws, c) => {
      let unconfirmed = 0;
      for (let i = c; i < frames.length; i += connections) {
        ws.send(frames[i]);
        if (++unconfirmed === CHECKPOINT_EVERY) {
          await ping(ws);
          unconfirmed = 0;
        }
      }
      await ping(ws);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const proc = sampler.stop();
  for (const ws of sockets) ws.close(1000);
  return {
    events: frames.length,
    seconds,
    rate: frames.length / seconds,
    maxRss: proc.maxRss,
    serverCpu: proc.cpuCores,
  };
}

export interface EventsFixture {
  server: ServerHandle;
  dataset: EventDataset;
  /** A second connection to the server's database, for measuring store costs directly. */
  probe: Store;
}

/** The shared dataset: `--events` events (1M; 10M with `--full`), ~1 KB payloads, a week. */
export function eventsFixture(ctx: BenchContext): Promise<EventsFixture> {
  return ctx.fixture('events', async () => {
    const server = await ctx.server();
    const probe = await openStore({ url: server.db });
    ctx.onClose(() => probe.close());
    const dataset = new EventDataset({
      total: ctx.args.events,
      end: nowMicros(),
      spanMicros: SPAN_MICROS,
      payloadBytes: [500, 1500],
    });
    const chunk = 100_000;
    const t0 = performance.now();
    while (dataset.generated < dataset.total) {
      const frames = dataset.next(Math.min(chunk, dataset.total - dataset.generated)).map((e) => JSON.stringify(e));
      await loadWebsocket(server, frames, 4);
      if (dataset.generated % 1_000_000 === 0 || dataset.generated === dataset.total) {
        const s = (performance.now() - t0) / 1000;
        log(
          `  events dataset: ${dataset.generated.toLocaleString('en-US')} loaded (${Math.round(dataset.generated / s).toLocaleString('en-US')}/s)`,
        );
      }
    }
    return { server, dataset, probe };
  });
}
