/**
 * Event ingest, over `POST /api/events` and over the `/api/events/in` websocket, with realistic
 * events (1–3 KB, 4–6 related resources) on a fresh database. Every phase reports the time from
 * the first request until the last acknowledgement — when every event is visible to
 * `/events/filter` (checked with a count right after) — against Prefect 3.8.3's 3.5 s to accept
 * 10,000 events plus ~10 s until they were visible.
 */
import { nowMicros } from '../../src/domain/time.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms } from '../lib/stats.ts';
import { EventDataset } from './events-data.ts';
import { type EventLoad, loadHttp, loadWebsocket } from './events-fixture.ts';

const FLOOR_SECONDS = 1.35;
const TARGET_RATE = 50_000;
const PREFECT_VISIBLE_SECONDS = 3.5 + 10;

interface Phase {
  label: string;
  via: 'http' | 'ws';
  clients: number;
  batch?: number;
  count: number;
}

const PHASES: Phase[] = [
  { label: 'HTTP, 1 client, batches of 200', via: 'http', clients: 1, batch: 200, count: 10_000 },
  { label: 'HTTP, 4 clients, batches of 200', via: 'http', clients: 4, batch: 200, count: 10_000 },
  { label: 'HTTP, 4 clients, batches of 1000', via: 'http', clients: 4, batch: 1000, count: 50_000 },
  { label: 'websocket, 1 connection (Prefect client protocol)', via: 'ws', clients: 1, count: 10_000 },
  { label: 'websocket, 4 connections', via: 'ws', clients: 4, count: 10_000 },
  { label: 'websocket, 4 connections, sustained', via: 'ws', clients: 4, count: 100_000 },
];

export const eventsIngest: Workload = {
  name: 'events-ingest',
  size: (args) => ({ n: args.events, noun: 'events' }),
  title: 'Event ingest (`POST /events`, `/events/in`)',
  async run(ctx: BenchContext) {
    const server = await ctx.server();
    const dataset = new EventDataset({
      total: 1_000_000,
      end: nowMicros(),
      spanMicros: 3_600_000_000,
      payloadBytes: [300, 2000],
    });
    const http = new HttpClient(server.apiUrl);
    const rows: string[][] = [];
    const results: [Phase, EventLoad][] = [];
    try {
      for (const ph of PHASES) {
        const events = dataset.next(ph.count);
        const marker = ph.label;
        for (const e of events) (e.resource as Record<string, string>)['bench.phase'] = marker;
        const size = events.reduce((a, e) => a + JSON.stringify(e).length, 0) / events.length;
        let r: EventLoad;
        if (ph.via === 'http') {
          const bodies: { n: number; body: string }[] = [];
          for (let i = 0; i < events.length; i += ph.batch!) {
            const part = events.slice(i, i + ph.batch!);
            bodies.push({ n: part.length, body: JSON.stringify(part) });
          }
          r = await loadHttp(server, bodies, ph.clients);
        } else {
          r = await loadWebsocket(
            server,
            events.map((e) => JSON.stringify(e)),
            ph.clients,
          );
        }
        // Visible on acknowledgement: the very next filter call must count them all.
        const check = await http.ok(
          'POST',
          'events/filter',
          JSON.stringify({
            filter: { resource: { labels: { 'bench.phase': marker } }, occurred: { since: '2000-01-01T00:00:00Z' } },
            limit: 1,
          }),
        );
        const visible = JSON.parse(check.body).total as number;
        if (visible !== ph.count)
          throw new Error(`${ph.label}: ${visible} of ${ph.count} events visible after the last acknowledgement`);
        log(`  ${ph.label}: ${int(r.rate)} events/s, ${r.seconds.toFixed(2)} s for ${int(ph.count)} (all visible)`);
        results.push([ph, r]);
        rows.push([
          ph.label,
          int(ph.count),
          `${(size / 1000).toFixed(1)} KB`,
          `**${int(r.rate)}**`,
          `**${r.seconds.toFixed(2)}**`,
          r.reqP50 === undefined ? '' : `${ms(r.reqP50)} / ${ms(r.reqP99!)}`,
          r.serverCpu === undefined ? 'n/a' : r.serverCpu.toFixed(2),
          mb(r.maxRss),
        ]);
      }
    } finally {
      http.close();
    }
    const tenK = results.filter(([p]) => p.count === 10_000);
    const best = Math.min(...tenK.map(([, r]) => r.seconds));
    const worst = Math.max(...tenK.map(([, r]) => r.seconds));
    const top = Math.max(...results.map(([, r]) => r.rate));
    return [
      'Each phase sends its events to one server (database growing from empty; events of 1–3 KB of JSON with',
      '4–6 related resources, a flow run every ~50 events); "seconds" runs from the first request to the',
      'last acknowledgement, after which a filter call counted every event of the phase (visible on ack).',
      'Websocket phases ping every 700 events and end with the pong that covers the last event.',
      '',
      table(
        [
          'phase',
          'events',
          'mean size',
          'events/s',
          'seconds until all visible',
          'request p50 / p99 ms',
          'server CPU (cores)',
          'server RSS',
        ],
        rows,
      ),
      '',
      table(
        ['goal', 'target', 'measured', ''],
        [
          [
            'done floor: 10,000 events visible from the first request',
            `≤ ${FLOOR_SECONDS} s (Prefect 3.8.3: ${PREFECT_VISIBLE_SECONDS} s)`,
            `${best.toFixed(2)}–${worst.toFixed(2)} s across the 10k phases`,
            worst <= FLOOR_SECONDS ? 'met' : best <= FLOOR_SECONDS ? '**met by some phases**' : '**missed**',
          ],
          [
            'DESIGN: event ingest (websocket, SQLite)',
            `≥ ${int(TARGET_RATE)} events/s, visible on ack`,
            `${int(top)} events/s`,
            top >= TARGET_RATE ? 'met' : '**missed**',
          ],
        ],
      ),
    ].join('\n');
  },
};
