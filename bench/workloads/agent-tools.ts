/**
 * The agent tools (`/api/v1/agent/<tool>`, what the MCP server's curated tools call) on the
 * 10,000-span trace with a million log lines in its root run, which failed: p50/p99 of each tool
 * with the MCP server's default budget (60,000 characters). Goal: p99 ≤ 200 ms.
 */
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { measureQuery, type QueryResult } from '../lib/measure.ts';
import { table } from '../lib/results.ts';
import { int, ms } from '../lib/stats.ts';
import { loadLines } from './management.ts';
import { traceFixture } from './traces.ts';

const GOAL = 200;
const LINES = 1_000_000;
const MAX_CHARS = 60_000;

export const agentTools: Workload = {
  name: 'agent-tools',
  title: 'Agent tools (MCP): a failed 10,000-span trace whose root run logged 1M lines',
  size: () => ({ n: LINES, noun: 'log lines' }),
  async run(ctx: BenchContext) {
    const fx = await traceFixture(ctx);
    const { apiUrl, pid } = fx.server;
    const root = fx.trace.rootId;
    const t = performance.now();
    await loadLines(apiUrl, root);
    log(`  loaded ${int(LINES)} lines into the trace's root run in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const http = new HttpClient(apiUrl);
    try {
      await http.ok('POST', `flow_runs/${root}/set_state`, JSON.stringify({ state: { type: 'FAILED' }, force: true }));
    } finally {
      http.close();
    }
    const tools: [string, Record<string, unknown>][] = [
      ['find-flow-runs', { states: ['FAILED'], include_subflows: true }],
      ['diagnose-flow-run', { flow_run_id: root }],
      ['search-logs', { query: 'record 99', flow_run_id: root, since: '30d' }],
      ['tail-logs', { flow_run_id: root }],
      ['compare-flow-runs', { flow_run_id: root, baseline_flow_run_id: fx.trace.subflowIds[0] }],
      ['get-trace-tree', { flow_run_id: root, expand: 'all' }],
      ['get-trace-tree', { flow_run_id: root, expand: 'failed' }],
    ];
    const rows: (string | number)[][] = [];
    for (const [tool, args] of tools) {
      const body = JSON.stringify({ ...args, max_chars: MAX_CHARS });
      const r: QueryResult = await measureQuery(
        apiUrl,
        pid,
        { path: `v1/agent/${tool}`, body: () => body, count: (b) => b.length },
        { clients: 1, requests: 50, warmup: 2, maxSeconds: 120 },
      );
      const label = `${tool} ${JSON.stringify(args).replace(root, '<root>').replace(fx.trace.subflowIds[0], '<subflow>')}`;
      log(`  ${label}: p50 ${ms(r.p50)} p99 ${ms(r.p99)} ms, ${int(r.items)} characters`);
      rows.push([label, ms(r.p50), `**${ms(r.p99)}**`, int(r.items), r.p99 <= GOAL ? 'met' : '**missed**']);
    }
    return [
      `One trace of ${int(fx.trace.tasks.length)} task runs under a root flow run and ${fx.trace.subflowIds.length} subflows; the root`,
      `run also holds ${int(LINES)} log lines (10 % warnings, 5 % errors) and is FAILED. Each tool is called 50 times in`,
      `a row over HTTP with the MCP server's default budget (\`max_chars\` ${int(MAX_CHARS)}); goal p99 ≤ ${GOAL} ms.`,
      '',
      table(['tool and arguments', 'p50 ms', 'p99 ms', 'answer (characters)', `p99 ≤ ${GOAL} ms`], rows),
    ].join('\n');
  },
};
