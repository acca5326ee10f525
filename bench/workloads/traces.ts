/**
 * Traces: the task-run recorder's throughput (client task-run events over `/events/in` turned into
 * task runs and spans, committed before the acknowledgement) and span reads in a 10,000-span trace
 * (`GET /traces/{id}` pages, filters, context, observed tags and states).
 */
import os from 'node:os';
import { WebSocket } from 'ws';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { DbCpuSampler, postmasterPid } from '../lib/db-cpu.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import type { ServerHandle } from '../lib/server.ts';
import { int, mb, ms, type Summary, summarize } from '../lib/stats.ts';
import { prng } from './logs-data.ts';
import { type BuiltTrace, createRuns, finishTrace, TRACE_SHAPE, taskEvents } from './traces-data.ts';

const TARGET_PAGE_P99 = 10;

/** Other processes compete for the CPU on shared machines: the report says how busy it was. */
function loadNote(): string {
  const [one] = os.loadavg();
  return `Machine load average at the end of the run: ${one.toFixed(1)} on ${os.availableParallelism()} cores${one > os.availableParallelism() ? ' (oversubscribed: latencies include waiting for a CPU; server CPU per request does not)' : ''}.`;
}
const CONNECTIONS = 4;
const CHECKPOINT_EVERY = 700;

type Json = any;

interface Streamed {
  events: number;
  seconds: number;
  rate: number;
  maxRss?: number;
  serverCpu?: number;
  /** Cores a local PostgreSQL used meanwhile (undefined on SQLite or a remote database). */
  dbCpu?: number;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['prefect']);
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: null }));
      ws.once('message', () => resolve(ws));
    });
  });
}

/** A pong acknowledges every frame sent before its ping (committed, projections included). */
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

/** Streams each connection's frames in order (a task's events stay on one connection, in order). */
async function stream(server: ServerHandle, perConnection: string[][]): Promise<Streamed> {
  const url = `${server.apiUrl.replace(/^http/, 'ws')}/events/in`;
  const sockets = await Promise.all(perConnection.map(() => openSocket(url)));
  const sampler = new ProcSampler([server.pid]);
  const dbSampler = new DbCpuSampler(server.db.startsWith('postgres') ? await postmasterPid(server.db) : undefined);
  const t0 = performance.now();
  await Promise.all(
    sockets.map(async (ws, c) => {
      let unconfirmed = 0;
      for (const f of perConnection[c]) {
        ws.send(f);
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
  const db = dbSampler.stop();
  for (const ws of sockets) ws.close(1000);
  const events = perConnection.reduce((a, f) => a + f.length, 0);
  return { events, seconds, rate: events / seconds, maxRss: proc.maxRss, serverCpu: proc.cpuCores, dbCpu: db.dbCores };
}

/** Task events dealt to connections task by task. */
function deal(perTask: string[][], connections: number): string[][] {
  const out: string[][] = Array.from({ length: connections }, () => []);
  for (const [i, events] of perTask.entries()) out[i % connections].push(...events);
  return out;
}

interface TraceFixture {
  server: ServerHandle;
  trace: BuiltTrace;
  recorder: Streamed;
  baseline: Streamed;
}

/** One server holding the 10,000-span trace, built once for both workloads. */
export function traceFixture(ctx: BenchContext): Promise<TraceFixture> {
  return ctx.fixture('traces', async () => {
    const server = await ctx.server();
    log(`  building a ${int(TRACE_SHAPE.spans)}-span trace`);
    const runs = await createRuns(server.apiUrl, TRACE_SHAPE);
    const perTask = taskEvents(runs.tasks);
    // Baseline: the same events, made server-orchestrated so that the recorder leaves them alone.
    const plain = taskEvents(runs.tasks).map((evs) =>
      evs.map((e) => e.replace('"prefect.orchestration":"client"', '"prefect.orchestration":"server"')),
    );
    const baseline = await stream(server, deal(plain, CONNECTIONS));
    log(`  baseline events: ${int(baseline.rate)}/s`);
    const recorder = await stream(server, deal(perTask, CONNECTIONS));
    log(`  task-run events → spans: ${int(recorder.rate)}/s`);
    const trace = await finishTrace(server.apiUrl, runs, TRACE_SHAPE);
    return { server, trace, recorder, baseline };
  });
}

async function getJson(http: HttpClient, path: string): Promise<Json> {
  return JSON.parse((await http.ok('GET', path)).body);
}

export const tracesRecorder: Workload = {
  name: 'traces-recorder',
  size: () => ({ n: 10_000, noun: 'spans' }),
  title: 'Task-run recorder: client task-run events → task runs and spans (`/events/in`)',
  async run(ctx: BenchContext) {
    const fx = await traceFixture(ctx);
    const http = new HttpClient(fx.server.apiUrl);
    try {
      // Visible on acknowledgement: every task's span is in the trace with its last state.
      let spans = 0;
      let cursor: string | undefined;
      do {
        const page = await getJson(http, `traces/${fx.trace.rootId}?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        spans += page.spans.length;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      if (spans !== TRACE_SHAPE.spans) throw new Error(`the trace holds ${spans} spans, expected ${TRACE_SHAPE.spans}`);
      const last = fx.trace.tasks[fx.trace.tasks.length - 1];
      const [span] = await getJson(http, `traces/${fx.trace.rootId}/spans?ids=${last.id}`);
      if (span?.state_name !== last.final.name)
        throw new Error(`the last task's span is ${span?.state_name}, expected ${last.final.name}`);
    } finally {
      http.close();
    }
    const r = fx.recorder;
    const b = fx.baseline;
    const perK = (cores: number | undefined, s: Streamed) =>
      cores === undefined ? undefined : (cores * s.seconds * 1000) / (s.events / 1000);
    const cpuPerK = (s: Streamed) => perK(s.serverCpu, s);
    const dbPerK = (s: Streamed) => perK(s.dbCpu, s);
    const row = (label: string, s: Streamed) => [
      label,
      int(s.events),
      `**${int(s.rate)}**`,
      s.seconds.toFixed(2),
      s.serverCpu?.toFixed(2) ?? 'n/a',
      cpuPerK(s) === undefined ? 'n/a' : ms(cpuPerK(s)!),
      dbPerK(s) === undefined ? 'n/a' : ms(dbPerK(s)!),
      mb(s.maxRss),
    ];
    return [
      `${int(fx.trace.tasks.length)} task runs of one trace (a root flow run and ${TRACE_SHAPE.subflows} subflows), each reported the way the`,
      'Prefect client does: `prefect.task-run.Pending`, `Running`, then its final state (Completed, Failed, Crashed,',
      `Cancelled; a tenth stay Running), streamed over ${CONNECTIONS} \`/events/in\` connections, a task's events in order on one`,
      'connection, a ping every 700 events; "seconds" runs until the last pong, when every event is committed with its task',
      'run and span (checked: the trace then holds every span with its last state). The baseline streams the same events',
      'marked as server-orchestrated, which the recorder ignores: the difference is the cost of task runs and spans.',
      '',
      table(
        [
          'phase',
          'events',
          'events/s',
          'seconds',
          'server CPU (cores)',
          'server CPU ms / 1,000 events',
          'database CPU ms / 1,000 events',
          'server RSS',
        ],
        [row('task-run events → task runs + spans', r), row('baseline: the same events, no recorder', b)],
      ),
      '',
      `Recorder throughput: **${int(r.rate)} task-run events turned into spans per second**; per event the recorder and the span`,
      `projection add ${cpuPerK(r) !== undefined && cpuPerK(b) !== undefined ? ms((cpuPerK(r)! - cpuPerK(b)!) / 1000) : 'n/a'} ms of server CPU to the event ingest path.`,
      '',
      loadNote(),
    ].join('\n');
  },
};

interface PathQuery {
  label: string;
  paths: (i: number) => string;
  count: (body: string) => number;
}

async function measurePaths(
  server: ServerHandle,
  q: PathQuery,
  clients: number,
  requests: number,
): Promise<Summary & { items: number; maxRss?: number; cpuMsPerRequest?: number }> {
  const http = new HttpClient(server.apiUrl, { connections: clients });
  try {
    for (let i = 0; i < 5; i++) await http.ok('GET', q.paths(i));
    const lat: number[] = [];
    let items = 0;
    let next = 0;
    const sampler = new ProcSampler([server.pid]);
    const t0 = performance.now();
    await runClients(clients, () => {
      if (next >= requests) return undefined;
      const i = next++;
      return http.ok('GET', q.paths(i)).then((r) => {
        lat.push(r.ms);
        items += q.count(r.body);
      });
    });
    const wallMs = performance.now() - t0;
    const proc = sampler.stop();
    const cpuMsPerRequest =
      proc.cpuCores === undefined ? undefined : (proc.cpuCores * wallMs) / Math.max(1, lat.length);
    return { ...summarize(lat), items: items / Math.max(1, lat.length), maxRss: proc.maxRss, cpuMsPerRequest };
  } finally {
    http.close();
  }
}

export const tracesPage: Workload = {
  name: 'traces-page',
  size: () => ({ n: 10_000, noun: 'spans' }),
  title: 'Span reads in a 10,000-span trace (`GET /traces/{id}` and friends)',
  async run(ctx: BenchContext) {
    const fx = await traceFixture(ctx);
    const root = fx.trace.rootId;
    const http = new HttpClient(fx.server.apiUrl);
    const cursors: string[] = [];
    try {
      let cursor: string | undefined;
      do {
        const page = await getJson(http, `traces/${root}?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        if (page.next_cursor) cursors.push(page.next_cursor);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    } finally {
      http.close();
    }
    const rand = prng(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const spans = (b: string) => (JSON.parse(b) as { spans: unknown[] }).spans.length;
    const list = (b: string) => (JSON.parse(b) as unknown[]).length;
    const queries: PathQuery[] = [
      { label: 'first page (limit 100)', paths: () => `traces/${root}?limit=100`, count: spans },
      {
        label: 'a page at a random cursor (limit 100)',
        paths: () => `traces/${root}?cursor=${pick(cursors)}`,
        count: spans,
      },
      { label: 'first page, direction=desc', paths: () => `traces/${root}?limit=100&direction=desc`, count: spans },
      { label: 'depth=1 & state_types=FAILED', paths: () => `traces/${root}?depth=1&state_types=FAILED`, count: spans },
      { label: 'tags=gpu', paths: () => `traces/${root}?tags=gpu`, count: spans },
      {
        label: 'query="score -gpu" (text over 10,000 spans)',
        paths: () => `traces/${root}?query=score%20-gpu`,
        count: spans,
      },
      {
        label: "a subflow's children (parent_span_id)",
        paths: () => `traces/${root}?parent_span_id=${pick(fx.trace.subflowIds)}`,
        count: spans,
      },
      {
        label: 'context of a random task (context_size 10)',
        paths: () => `traces/${root}/context/${pick(fx.trace.tasks).id}`,
        count: spans,
      },
      { label: 'observed tags of the trace', paths: () => `traces/${root}/observed-tags`, count: list },
      { label: 'observed states of the trace', paths: () => `traces/${root}/observed-states`, count: list },
    ];
    const rows: string[][] = [];
    let page: { c1: Summary; c4: Summary } | undefined;
    let maxRss = 0;
    for (const [i, q] of queries.entries()) {
      const heavy = i >= queries.length - 2;
      const c1 = await measurePaths(fx.server, q, 1, heavy ? 50 : 300);
      const c4 = await measurePaths(fx.server, q, 4, heavy ? 100 : 600);
      if (i === 1) page = { c1, c4 };
      maxRss = Math.max(maxRss, c1.maxRss ?? 0, c4.maxRss ?? 0);
      log(`  ${q.label}: c1 p50 ${ms(c1.p50)} p99 ${ms(c1.p99)}; c4 p50 ${ms(c4.p50)} p99 ${ms(c4.p99)}`);
      rows.push([
        q.label,
        c1.items.toFixed(0),
        `${ms(c1.p50)} / ${ms(c1.p95)} / **${ms(c1.p99)}**`,
        `${ms(c4.p50)} / ${ms(c4.p95)} / **${ms(c4.p99)}**`,
        c1.cpuMsPerRequest === undefined ? 'n/a' : ms(c1.cpuMsPerRequest),
      ]);
    }
    const worst = page!.c1.p99;
    return [
      `One trace of ${int(TRACE_SHAPE.spans)} spans (a root flow run, ${int(fx.trace.tasks.length - TRACE_SHAPE.subflows * TRACE_SHAPE.tasksPerSubflow)} root task runs, ${TRACE_SHAPE.subflows} tracking task runs and subflows`,
      `with ${TRACE_SHAPE.tasksPerSubflow} task runs each, ${TRACE_SHAPE.artifacts} artifacts), built through REST and \`/events/in\` as above. Each query:`,
      '5 warm-up requests, then 300 at concurrency 1 and 600 at 4 (50 / 100 for the observed-* aggregations); random',
      `cursors are drawn from the ${cursors.length} \`next_cursor\`s of a full pass. Items = mean spans (or entries) returned.`,
      "Server CPU per request is the server process's CPU time over the c1 run divided by its requests (what a request",
      'costs whatever else the machine is doing).',
      '',
      table(['query', 'items', 'c1 p50 / p95 / p99 ms', 'c4 p50 / p95 / p99 ms', 'server CPU ms / request (c1)'], rows),
      '',
      table(
        ['goal', 'target', 'measured', ''],
        [
          [
            'DESIGN: one trace page (100 spans) in a 10,000-span trace, p99',
            `≤ ${TARGET_PAGE_P99} ms`,
            `${ms(page!.c1.p99)} ms (c1), ${ms(page!.c4.p99)} ms (c4)`,
            worst <= TARGET_PAGE_P99 ? 'met' : '**missed**',
          ],
          ['server RSS while reading', '≤ 300 MB', mb(maxRss), maxRss <= 300e6 ? 'met' : '**missed**'],
        ],
      ),
      '',
      loadNote(),
    ].join('\n');
  },
};
