/**
 * OTLP ingest (issue 23): spans/s and log records/s over OTLP/HTTP protobuf in batches of 512 (the
 * SDK batch processors' default), from one and from four exporters, committed before each answer; then the
 * time from the export of a span under a task run's OTel span until it shows in the run's trace.
 * Bodies are encoded before the clock starts, with the project's schema subset.
 */
import http from 'node:http';
import protobuf from 'protobufjs';
import { OTLP_PROTO } from '../../src/api/otlp/proto-subset.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import { int, mb, ms, summarize } from '../lib/stats.ts';
import { prng } from './logs-data.ts';

const BATCH = 512;
/** Spans per trace: a root, and chains below it. */
const TRACE_SPANS = 8;
const FLOOR = 10_000;
const GOAL = 50_000;

const root = protobuf.parse(OTLP_PROTO).root;
const Request = root.lookupType('sightline.otlp.ExportTraceServiceRequest');
const LogsRequest = root.lookupType('sightline.otlp.ExportLogsServiceRequest');
const LOG_FLOOR = 30_000;
const LOG_GOAL = 150_000;

type Json = any;

function hex(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** One export of `BATCH` spans: whole traces of `TRACE_SPANS`, each child under the one before. */
function batchBody(rand: () => number, start: bigint): Buffer {
  const spans: Json[] = [];
  for (let t = 0; t < BATCH / TRACE_SPANS; t++) {
    const traceId = Buffer.from(hex(rand, 16), 'hex');
    let parent: Buffer | undefined;
    for (let i = 0; i < TRACE_SPANS; i++) {
      const spanId = Buffer.from(hex(rand, 8), 'hex');
      spans.push({
        traceId,
        spanId,
        parentSpanId: parent,
        name: `op-${i}`,
        kind: 1,
        startTimeUnixNano: start + BigInt(i) * 1000n,
        endTimeUnixNano: start + BigInt(i) * 1000n + 500_000n,
        attributes: [
          { key: 'http.route', value: { stringValue: '/orders/{id}' } },
          { key: 'rows', value: { intValue: i } },
        ],
        status: { code: i === 7 ? 2 : 1 },
      });
      parent = spanId;
    }
  }
  const msg = Request.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [{ scope: { name: 'bench', version: '1' }, spans }],
      },
    ],
  });
  return Buffer.from(Request.encode(msg).finish());
}

/** One export of `BATCH` log records, each its own (distinct times), as a logging bridge sends them. */
function logBatchBody(rand: () => number, start: bigint): Buffer {
  const logRecords: Json[] = [];
  for (let i = 0; i < BATCH; i++) {
    logRecords.push({
      timeUnixNano: start + BigInt(i) * 1000n,
      severityNumber: [5, 9, 9, 9, 13, 17][i % 6],
      body: { stringValue: `processed order ${Math.floor(rand() * 1e9)} in ${i % 97} ms` },
      attributes: [{ key: 'code.function', value: { stringValue: 'handle' } }],
    });
  }
  const msg = LogsRequest.fromObject({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeLogs: [{ scope: { name: 'bench.orders' }, logRecords }],
      },
    ],
  });
  return Buffer.from(LogsRequest.encode(msg).finish());
}

function post(agent: http.Agent, url: URL, body: Buffer, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = Buffer.concat(chunks);
          // An empty ExportTraceServiceResponse: every span stored.
          if (res.statusCode !== 200 || answer.length !== 0)
            reject(new Error(`export → ${res.statusCode} (${answer.length} bytes of partial success)`));
          else resolve(performance.now() - started);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const otlpIngest: Workload = {
  name: 'otlp-ingest',
  title: 'OTLP ingest (protobuf): spans and log records',
  async run(ctx: BenchContext) {
    const server = await ctx.server();
    const url = new URL(`${server.apiUrl}/otlp/v1/traces`);
    const logsUrl = new URL(`${server.apiUrl}/otlp/v1/logs`);
    const rand = prng(23);
    const perPhase = Math.max(BATCH * 8, Math.min(200_000, Math.floor(ctx.args.logs / 10)));
    const rows: string[][] = [];
    let t0 = 1_765_000_000_000_000_000n;
    const phase = async (signal: 'spans' | 'log records', clients: number) => {
      const batches = Math.ceil(perPhase / BATCH);
      log(`otlp: ${clients} exporter(s), ${int(batches * BATCH)} ${signal} in batches of ${BATCH}`);
      const bodies = Array.from({ length: batches }, () => {
        t0 += 1_000_000_000n;
        return signal === 'spans' ? batchBody(rand, t0) : logBatchBody(rand, t0);
      });
      const target = signal === 'spans' ? url : logsUrl;
      const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
      const latencies: number[] = [];
      let next = 0;
      const proc = new ProcSampler([server.pid]);
      const started = performance.now();
      await runClients(clients, () => {
        if (next >= bodies.length) return undefined;
        const body = bodies[next++];
        return post(agent, target, body, server.headers).then((l) => void latencies.push(l));
      });
      const seconds = (performance.now() - started) / 1000;
      const p = proc.stop();
      agent.destroy();
      const rate = (batches * BATCH) / seconds;
      const lat = summarize(latencies);
      log(`  ${int(rate)} ${signal}/s, export p50 ${ms(lat.p50)} ms`);
      rows.push([
        `${signal}, ${clients} exporter${clients > 1 ? 's' : ''}`,
        int(batches * BATCH),
        `**${int(rate)}**`,
        `${ms(lat.p50)} / ${ms(lat.p99)}`,
        p.cpuCores === undefined ? 'n/a' : p.cpuCores.toFixed(2),
        p.cpuCores === undefined ? 'n/a' : ((p.cpuCores * seconds * 1e6) / (batches * BATCH)).toFixed(1),
        mb(p.maxRss),
      ]);
      return rate;
    };
    const spanRates = [await phase('spans', 1), await phase('spans', 4)];
    const logRates = [await phase('log records', 1), await phase('log records', 4)];

    // Time until an exported child shows in its run's trace: a flow run and a task run whose
    // OTel span ids are known from their labels, then one span under the task's.
    const api = new HttpClient(server.apiUrl);
    const visible: number[] = [];
    for (let i = 0; i < 20; i++) {
      const flow = JSON.parse((await api.ok('POST', 'flows/', JSON.stringify({ name: `otlp-bench-${i}` }))).body);
      const run = JSON.parse((await api.ok('POST', 'flow_runs/', JSON.stringify({ flow_id: flow.id }))).body);
      const traceHex = hex(rand, 16);
      const runSpan = hex(rand, 8);
      await api.ok(
        'PATCH',
        `flow_runs/${run.id}/labels`,
        JSON.stringify({ __OTEL_TRACEPARENT: `00-${traceHex}-${runSpan}-01` }),
      );
      const child = hex(rand, 8);
      const body = Buffer.from(
        Request.encode(
          Request.fromObject({
            resourceSpans: [
              {
                scopeSpans: [
                  {
                    spans: [
                      {
                        traceId: Buffer.from(traceHex, 'hex'),
                        spanId: Buffer.from(child, 'hex'),
                        parentSpanId: Buffer.from(runSpan, 'hex'),
                        name: 'user work',
                        startTimeUnixNano: t0,
                        endTimeUnixNano: t0 + 1000n,
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        ).finish(),
      );
      const agent = new http.Agent({ keepAlive: false });
      const started = performance.now();
      await post(agent, url, body, server.headers);
      const childId = `00000000-0000-0000-${child.slice(0, 4)}-${child.slice(4)}`;
      for (;;) {
        const page = JSON.parse((await api.ok('GET', `traces/${run.id}?entities=otel`)).body);
        if (page.spans.some((s: Json) => s.span_id === childId)) break;
        if (performance.now() - started > 60_000) throw new Error('the exported child never showed in its trace');
      }
      visible.push(performance.now() - started);
      agent.destroy();
    }
    api.close();
    const v = summarize(visible);
    const check = (r: number, floor: number, goal: number) =>
      r >= goal ? 'goal met' : r >= floor ? 'floor met' : '**floor missed**';
    return [
      `Spans and log records over \`POST /api/otlp/v1/{traces,logs}\` (protobuf, batches of ${BATCH}; traces of ${TRACE_SPANS}`,
      'chained spans with two attributes each; log records with one attribute, all distinct), every export answered',
      'after commit with an empty response (all stored). "CPU" is the server\'s cores used; µs/item is its CPU time',
      'per span or record. Server and benchmark share the machine.',
      '',
      table(['phase', 'items', 'items/s', 'export p50 / p99 ms', 'server CPU', 'CPU µs/item', 'max RSS'], rows),
      '',
      `One exporter: spans ${check(spanRates[0], FLOOR, GOAL)} (floor ${int(FLOOR)}/s on SQLite, goal ${int(GOAL)}), log records ${check(logRates[0], LOG_FLOOR, LOG_GOAL)} (floor ${int(LOG_FLOOR)}/s, goal ${int(LOG_GOAL)}).`,
      '',
      `Time from sending a span under a flow run's OTel span (known from its \`__OTEL_TRACEPARENT\` label) until it is in`,
      `the run's trace (\`GET /traces/{flow_run_id}\`), ${v.n} runs: p50 ${ms(v.p50)} ms, p99 ${ms(v.p99)} ms.`,
    ].join('\n');
  },
};
