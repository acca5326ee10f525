/**
 * The agent tools over MCP (issue 21), on both engines, with the official SDK client over HTTP in
 * both protocol eras and over stdio through `sightline mcp --api`: every output field on the
 * seeded nightly-etl workspace, the three-call walk from "the last nightly-etl run failed — why?"
 * to its cause, answers bounded by the character budget with continuations that neither skip nor
 * repeat, and bad arguments answered with errors an agent can act on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { AGENT_TOOLS } from '../../src/domain/agent/tools.ts';
import { type Era, httpClient } from '../capabilities/harness.ts';
import { forEachEngine, tempDir } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client, KEY_ERROR, NEW_LOGGER, type NightlyEtl, seedNightlyEtl } from './seed.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const LINES = 20_000;
type Json = any;

/** Microseconds of an ISO time (Date.parse keeps milliseconds only). */
const micros = (iso: string) => Date.parse(iso) * 1000 + Number((/\.\d{3}(\d{3})/.exec(iso) ?? [0, '0'])[1]);
const seconds = (r: Json) => (micros(r.end_time) - micros(r.start_time)) / 1_000_000;

interface Answer {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Json;
}

forEachEngine('agent tools', (engine) => {
  let s: TestServer;
  let url: string;
  let n: NightlyEtl;
  let other: NightlyEtl;
  const clients = new Map<Era | 'stdio', Client>();

  before(async () => {
    s = await startServer(engine);
    url = await s.listen();
    n = await seedNightlyEtl(url, { lines: LINES });
    const w2 = await s.app.store.tenancy.createWorkspace({
      accountId: s.accountId,
      name: 'look-alike',
      handle: 'look-alike',
      description: null,
    });
    other = await seedNightlyEtl(`${url}/accounts/${s.accountId}/workspaces/${w2.id}`, { lines: 50 });
    const [mcpUrl] = s.app.capabilities!.mcpUrls;
    for (const era of ['modern', 'legacy'] as const) clients.set(era, await httpClient(mcpUrl, era));
    const stdio = new Client({ name: 'stdio-test', version: '1.0.0' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'mcp', '--stdio', '--api', `${url}/accounts/${s.accountId}/workspaces/${s.workspaceId}`],
        env: { PATH: process.env.PATH ?? '', HOME: tempDir() },
        stderr: 'ignore',
      }),
    );
    clients.set('stdio', stdio);
  });
  after(async () => {
    for (const c of clients.values()) await c.close();
    await s.close();
  });

  const call = async (name: string, args: Json, via: Era | 'stdio' = 'modern'): Promise<Answer> =>
    (await clients.get(via)!.callTool({ name, arguments: args })) as Answer;
  const ok = async (name: string, args: Json, via: Era | 'stdio' = 'modern'): Promise<Json> => {
    const a = await call(name, args, via);
    assert.notEqual(a.isError, true, `${name}: ${a.content[0]?.text}`);
    assert.deepEqual(JSON.parse(a.content[0].text!), a.structuredContent, `${name}: text and structuredContent`);
    return a.structuredContent;
  };
  const refused = async (name: string, args: Json): Promise<Json> => {
    const a = await call(name, args);
    assert.equal(a.isError, true, `${name} ${JSON.stringify(args)} should fail: ${a.content[0]?.text}`);
    const { error } = a.structuredContent;
    assert.ok(error.code && error.message, JSON.stringify(error));
    return error;
  };
  /** A route of the tool, for budgets the MCP server is not started with. */
  const route = async (name: string, body: Json): Promise<Json> => {
    const r = await fetch(`${url}/v1/agent/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, `${name}: ${r.status}`);
    return r.json();
  };

  for (const via of ['modern', 'legacy', 'stdio'] as const)
    it(`lists the agent tools first-class: schemas, output schemas, read-only hints (${via})`, async () => {
      const { tools } = await clients.get(via)!.listTools();
      for (const def of AGENT_TOOLS) {
        const t = tools.find((x) => x.name === def.name)!;
        assert.ok(t, def.name);
        assert.deepEqual(t.annotations, {
          title: def.title,
          readOnlyHint: true,
          openWorldHint: false,
          idempotentHint: true,
        });
        const props = t.inputSchema.properties as Record<string, { description?: string }>;
        for (const [p, schema] of Object.entries(props)) assert.ok(schema.description, `${def.name}.${p} is described`);
        assert.ok(props.account_id && props.workspace_id, 'tenancy arguments');
        assert.ok(!(t.inputSchema.required ?? []).includes('account_id'));
        assert.equal((t.outputSchema as Json).type, 'object');
      }
      if (via !== 'stdio') assert.match(clients.get(via)!.getInstructions() ?? '', /diagnose-flow-run/);
    });

  it('walks from "the last nightly-etl run failed — why?" to the cause in three calls and under 15K characters', async () => {
    let chars = 0;
    const step = async (name: string, args: Json) => {
      const a = await call(name, args);
      chars += a.content[0].text!.length;
      return a.structuredContent;
    };
    const found = await step('find-flow-runs', { flow_name: 'nightly-etl', states: ['FAILED', 'CRASHED'], limit: 1 });
    assert.equal(found.runs[0].id, n.failed.id);
    const d = await step('diagnose-flow-run', { flow_run_id: found.runs[0].id });
    assert.match(d.summary, /write-rows-0/);
    assert.match(d.summary, /subflow 'load'/);
    assert.match(d.summary, /after 2 retries/);
    assert.ok(d.summary.endsWith(KEY_ERROR), d.summary);
    const tail = await step(d.next_steps[0].tool, d.next_steps[0].arguments);
    assert.equal(tail.lines.at(-1).log_id, d.errors[0].log_id, 'the failing task’s last line is the error');
    assert.ok(chars <= 15_000, `${chars} characters`);
  });

  it('find-flow-runs: every field, newest first, filters and paging', async () => {
    const all = await ok('find-flow-runs', { flow_name: 'NIGHTLY' });
    assert.equal(all.total, 11, 'ten completed runs and the failed one, not the subflow');
    assert.deepEqual(
      all.runs.map((r: Json) => r.id),
      [n.failed, ...[...n.completed].reverse()].map((r) => r.id),
    );
    const f = all.runs[0];
    assert.deepEqual(f, {
      id: n.failed.id,
      name: 'nightly-failing',
      flow_name: 'nightly-etl',
      state_type: 'FAILED',
      state_name: 'Failed',
      message: '1/3 states failed.',
      start_time: n.failed.start_time,
      end_time: n.failed.end_time,
      duration_s: seconds(n.failed),
      tags: ['nightly'],
      parent_flow_run_id: null,
      warning_count: 3,
      error_count: 0,
    });
    const sub = await ok('find-flow-runs', { include_subflows: true, states: ['failed'] });
    assert.deepEqual(sub.runs.map((r: Json) => r.name).sort(), ['load-subflow', 'nightly-failing']);
    assert.equal(sub.runs.find((r: Json) => r.name === 'load-subflow').parent_flow_run_id, n.failed.id);
    assert.equal((await ok('find-flow-runs', { text: 'failing' })).total, 1);
    assert.equal((await ok('find-flow-runs', { tags: ['nope'] })).total, 0);
    assert.equal((await ok('find-flow-runs', { states: ['Completed'], since: '1h' })).total, 10);
    assert.equal((await ok('find-flow-runs', { until: '2000-01-01T00:00:00Z' })).total, 0);
    const seen: string[] = [];
    let page = await ok('find-flow-runs', { flow_name: 'nightly', limit: 4 });
    for (;;) {
      seen.push(...page.runs.map((r: Json) => r.id));
      if (!page.next_cursor) break;
      page = await ok('find-flow-runs', { flow_name: 'nightly', limit: 4, cursor: page.next_cursor });
    }
    assert.deepEqual(
      seen,
      all.runs.map((r: Json) => r.id),
    );
  });

  it('diagnose-flow-run: failing path, errors with traceback and context, retries, events, durations', async () => {
    for (const via of ['modern', 'legacy', 'stdio'] as const) {
      const d = await ok('diagnose-flow-run', { flow_run_id: n.failed.id, context_lines: 2 }, via);
      assert.equal(d.failed, true);
      assert.deepEqual(d.run, {
        id: n.failed.id,
        name: 'nightly-failing',
        flow_name: 'nightly-etl',
        state_type: 'FAILED',
        state_name: 'Failed',
        message: '1/3 states failed.',
        start_time: n.failed.start_time,
        end_time: n.failed.end_time,
        duration_s: seconds(n.failed),
        run_count: 1,
      });
      assert.deepEqual(
        d.failing_path.map((p: Json) => [p.span_id, p.name, p.span_type, p.state_name]),
        [
          [n.failed.id, 'nightly-failing', 'flow-run', 'Failed'],
          [n.tracking.id, 'load-0', 'task-run', 'Failed'],
          [n.subflow.id, 'load-subflow', 'flow-run', 'Failed'],
          [n.writeRows.id, 'write-rows-0', 'task-run', 'Failed'],
        ],
      );
      assert.equal(d.failing_path[3].message, `Task run encountered an exception ${KEY_ERROR}`, 'task state message');
      const [first, last] = d.errors;
      assert.equal(d.errors.length, 2, 'the subflow’s two error lines (the parent has none), the failing task’s first');
      assert.equal(last.logger, 'prefect.flow_runs');
      assert.equal(first.logger, 'prefect.task_runs');
      assert.equal(first.span_id, n.writeRows.id);
      assert.equal(first.task_run_id, n.writeRows.id);
      assert.equal(first.flow_run_id, n.subflow.id);
      assert.equal(first.level, 40);
      assert.ok(first.traceback.startsWith('Traceback (most recent call last):'));
      assert.ok(first.traceback.endsWith(KEY_ERROR));
      assert.deepEqual(
        first.context_lines.map((l: Json) => l.message),
        ['writing 500 rows'],
        'the lines before it in the subflow',
      );
      assert.deepEqual(
        d.retries_taken.tasks.map((t: Json) => [t.name, t.run_count]).sort(),
        [
          ['fetch-source-0', 2],
          ['write-rows-0', 3],
        ]
          .concat(n.tracking.run_count > 1 ? [['load-0', n.tracking.run_count]] : [])
          .sort(),
      );
      assert.equal(d.retries_taken.flow, 0);
      assert.ok(d.last_events.length > 0 && d.last_events.length <= 10);
      assert.ok(d.last_events.every((e: Json) => e.resource_id && e.event.startsWith('prefect.')));
      const durations = n.completed.map(seconds).sort((a, b) => a - b);
      assert.equal(d.duration_vs_recent.runs_considered, 10);
      assert.ok(
        Math.abs(d.duration_vs_recent.median_of_last_10_completed_s - (durations[4] + durations[5]) / 2) < 1e-6,
      );
      assert.ok(
        Math.abs(d.duration_vs_recent.ratio - d.run.duration_s / d.duration_vs_recent.median_of_last_10_completed_s) <
          1e-9,
      );
      assert.deepEqual(
        d.next_steps.map((x: Json) => x.tool),
        ['tail-logs', 'get-trace-tree', 'compare-flow-runs'],
      );
    }
    const fine = await ok('diagnose-flow-run', { flow_run_id: n.completed[3].id });
    assert.equal(fine.failed, false);
    assert.match(fine.summary, /did not fail: it is Completed/);
    const text = await ok('diagnose-flow-run', { flow_run_id: n.failed.id, format: 'text', context_lines: 1 });
    assert.match(text.errors[0].context_lines[0], / INFO {5}etl\.load \| writing 500 rows$/);
  });

  it('search-logs: hits name their run, flow, state and task; continuation reaches the last hit', async () => {
    const first = await ok('search-logs', { query: 'customer_id', limit: 1 });
    const hit = first.hits[0];
    assert.equal(hit.flow_run_id, n.subflow.id);
    assert.equal(hit.flow_run_name, 'load-subflow');
    assert.equal(hit.flow_name, 'load');
    assert.equal(hit.run_state_type, 'FAILED');
    assert.equal(hit.task_run_name, 'write-rows-0');
    assert.equal(hit.level_name, 'ERROR');
    const ids = [hit.log_id];
    for (let page = first; page.next_cursor; ) {
      page = await ok('search-logs', { query: 'customer_id', limit: 1, cursor: page.next_cursor });
      ids.push(...page.hits.map((h: Json) => h.log_id));
    }
    assert.equal(ids.length, 4, 'the error and three warnings');
    assert.equal(new Set(ids).size, 4);
    const warnings = await ok('search-logs', { level_ge: 'warning', loggers: [NEW_LOGGER], order: 'oldest' });
    assert.deepEqual(
      warnings.hits.map((h: Json) => h.message),
      [4999, 9999, 14999].map((i) => `column 'customer_id' missing in batch ${i}`),
    );
    assert.equal((await ok('search-logs', { flow_name: 'load', level_ge: 40 })).hits.length, 2);
    assert.equal(
      (await ok('search-logs', { query: 'customer_id', until: '2000-01-01T00:00:00Z', since: '1999-01-01T00:00:00Z' }))
        .hits.length,
      0,
    );
  });

  it('tail-logs: ends at the real last line, pages back without gap or repeat, reads newer lines', async () => {
    const t = await ok('tail-logs', { flow_run_id: n.failed.id, lines: 5 });
    assert.equal(t.total_lines, LINES - 3);
    assert.deepEqual(t.run, { id: n.failed.id, name: 'nightly-failing', state_type: 'FAILED' });
    assert.equal(t.lines.at(-1).message, `transformed row batch ${LINES - 3}`);
    assert.equal(t.lines.length, 5);
    const trace = await ok('tail-logs', { flow_run_id: n.failed.id, scope: 'trace', lines: 3 });
    assert.equal(trace.total_lines, LINES);
    assert.match(trace.lines.at(-1).message, /Finished in state Failed/);
    // The last 300 lines, back in cut pages (a 5,000-character budget), against the native order.
    const native: Json = await (
      await fetch(`${url}/logs/filter`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ logs: { flow_run_id: { any_: [n.failed.id] } }, sort: 'TIMESTAMP_DESC', limit: 200 }),
      })
    ).json();
    const got: string[] = [];
    let page = await route('tail-logs', { flow_run_id: n.failed.id, lines: 100, max_chars: 5000 });
    while (got.length < 200) {
      assert.ok(JSON.stringify(page).length <= 5000);
      assert.ok(page.lines.length > 0);
      got.unshift(...page.lines.map((l: Json) => l.log_id));
      page = await route('tail-logs', { ...page.next, max_chars: 5000 });
    }
    assert.deepEqual(got.slice(-200), native.map((l: Json) => l.id).reverse());
    const newer = await ok('tail-logs', { flow_run_id: n.failed.id, after: t.newer_cursor });
    assert.deepEqual(newer.lines, [], 'nothing logged since');
    const older = await ok('tail-logs', { flow_run_id: n.failed.id, lines: 2, before: t.older_cursor });
    assert.equal(older.lines.at(-1).message, `transformed row batch ${LINES - 8}`);
    const task = await ok('tail-logs', { task_run_id: n.writeRows.id, format: 'text' });
    assert.equal(task.lines.length, 2);
    assert.match(task.lines[0], /etl\.load \| writing 500 rows$/);
  });

  it('compare-flow-runs: parameters, tasks, new loggers, lines and duration against the last completed run', async () => {
    const c = await ok('compare-flow-runs', { flow_run_id: n.failed.id });
    const base = n.completed[9];
    assert.equal(c.baseline.id, base.id);
    assert.equal(c.target.id, n.failed.id);
    assert.match(c.baseline_reason, /latest COMPLETED run/);
    assert.deepEqual(c.parameters, {
      changed: [
        { name: 'date', target: '2026-12-01', baseline: '2026-11-29' },
        { name: 'batch_size', target: 500, baseline: 1000 },
      ],
      added: [],
      removed: [],
    });
    assert.deepEqual(
      c.tasks.map((t: Json) => [t.task_key, t.change]),
      [
        ['fetch-source', 'only_in_target'],
        ['load', 'only_in_target'],
      ],
    );
    assert.deepEqual(c.new_error_loggers, [{ logger: NEW_LOGGER, count: 3 }]);
    assert.deepEqual(c.log_lines, { target: LINES - 3, baseline: 2 });
    assert.equal(c.duration.target_s, c.target.duration_s);
    const given = await ok('compare-flow-runs', {
      flow_run_id: n.completed[5].id,
      baseline_flow_run_id: n.completed[4].id,
    });
    assert.equal(given.baseline_reason, 'given');
    assert.deepEqual(given.tasks, [], 'same tasks, same states');
    const firstRun = await ok('compare-flow-runs', { flow_run_id: n.completed[0].id });
    assert.equal(firstRun.baseline, null);
  });

  it('get-trace-tree: the failed path expanded, the rest folded; paging by cursor', async () => {
    const t = await ok('get-trace-tree', { flow_run_id: n.writeRows.flow_run_id });
    assert.equal(t.trace_id, n.failed.id, 'any run of the trace gives the whole tree');
    assert.equal(t.total_spans, 6);
    assert.deepEqual(
      t.nodes.map((x: Json) => [x.name, x.depth, x.state_name, x.collapsed]),
      [
        ['nightly-failing', 0, 'Failed', false],
        ['extract-0', 1, 'Completed', false],
        ['fetch-source-0', 1, 'Completed', false],
        ['load-0', 1, 'Failed', false],
        ['load-subflow', 2, 'Failed', false],
        ['write-rows-0', 3, 'Failed', false],
      ],
    );
    assert.equal(t.nodes[5].message, `Task run encountered an exception ${KEY_ERROR}`);
    const shallow = await ok('get-trace-tree', { flow_run_id: n.failed.id, max_depth: 1, max_nodes: 2 });
    assert.deepEqual(
      shallow.nodes.map((x: Json) => x.name),
      ['nightly-failing', 'extract-0'],
    );
    const rest = await ok('get-trace-tree', {
      flow_run_id: n.failed.id,
      max_depth: 1,
      max_nodes: 2,
      cursor: shallow.next_cursor,
    });
    assert.deepEqual(
      rest.nodes.map((x: Json) => x.name),
      ['fetch-source-0', 'load-0'],
    );
    assert.deepEqual(rest.nodes[1].collapsed_descendants, { count: 2, state_counts: { Failed: 2 } });
    assert.equal(rest.next_cursor, null);
    const done = await ok('get-trace-tree', { flow_run_id: n.completed[0].id });
    assert.equal(done.nodes.length, 1, 'a completed trace is one collapsed node');
    assert.deepEqual(done.nodes[0].collapsed_descendants, { count: 1, state_counts: { Completed: 1 } });
  });

  it('get-trace-tree folds more than ten mapped siblings in one state into one node', async () => {
    const { call, state } = client(url);
    const flow = await call('POST', '/flows/', { name: 'fan-out' });
    const run = await call('POST', '/flow_runs/', { flow_id: flow.id, name: 'fan-out-run' });
    await state('flow_runs', run.id, 'RUNNING');
    for (let i = 0; i < 13; i++) {
      const t = await call('POST', '/task_runs/', {
        flow_run_id: run.id,
        task_key: 'map',
        dynamic_key: String(i),
        name: `map-${i}`,
      });
      await state('task_runs', t.id, 'RUNNING');
      await state('task_runs', t.id, i === 12 ? 'FAILED' : 'COMPLETED');
    }
    await state('flow_runs', run.id, 'FAILED');
    const t = await ok('get-trace-tree', { flow_run_id: run.id, expand: 'all' });
    assert.deepEqual(
      t.nodes.map((x: Json) => [x.name, x.depth, x.state_name, x.group_count]),
      [
        ['fan-out-run', 0, 'Failed', 1],
        ['map', 1, 'Completed', 12],
        ['map-12', 1, 'Failed', 1],
      ],
    );
    assert.equal(t.nodes[1].collapsed, true);
    assert.deepEqual(t.nodes[1].collapsed_descendants, { count: 12, state_counts: { Completed: 12 } });
  });

  it('refuses bad arguments with errors an agent can act on', async () => {
    const unknown = await refused('diagnose-flow-run', { flow_run_id: '00000000-0000-7000-8000-000000000000' });
    assert.equal(unknown.code, 'not_found');
    assert.match(unknown.hint, /find-flow-runs/);
    const ambiguous = await refused('diagnose-flow-run', { flow_run_id: n.failed.id.slice(0, 8) });
    assert.equal(ambiguous.code, 'ambiguous_id');
    assert.ok(ambiguous.candidates.length >= 2 && ambiguous.candidates.length <= 5);
    const unique = await ok('diagnose-flow-run', { flow_run_id: n.failed.id.slice(0, 23) });
    assert.equal(unique.run.id, n.failed.id, 'a unique prefix');
    const task = await refused('diagnose-flow-run', { flow_run_id: n.writeRows.id });
    assert.match(task.message, /is a task run \('write-rows-0'\)/);
    assert.equal(task.flow_run_id, n.subflow.id);
    const lines = await refused('tail-logs', { flow_run_id: n.failed.id, lines: 5000 });
    assert.equal(lines.code, 'invalid_input');
    assert.match(lines.message, /^lines: .*500/);
    const window = await refused('find-flow-runs', { since: '1h', until: '2h' });
    assert.match(window.message, /since: must be before until/);
    const long = await refused('search-logs', { query: 'x'.repeat(201) });
    assert.match(long.message, /^query: .*200/);
    const elsewhere = await refused('diagnose-flow-run', { flow_run_id: other.failed.id });
    assert.equal(elsewhere.code, 'not_found', "another workspace's run");
    assert.equal(
      (await refused('tail-logs', { flow_run_id: n.failed.id, before: 'forged.token' })).code,
      'invalid_parameter',
    );
  });

  it('keeps every tool within the budget on the seeded workspace (5,000 characters)', async () => {
    const budget = { max_chars: 5000 };
    const answers = [
      await route('find-flow-runs', { ...budget, include_subflows: true }),
      await route('diagnose-flow-run', { ...budget, flow_run_id: n.failed.id, context_lines: 20, max_errors: 20 }),
      await route('search-logs', { ...budget, limit: 200 }),
      await route('tail-logs', { ...budget, flow_run_id: n.failed.id, lines: 500 }),
      await route('compare-flow-runs', { ...budget, flow_run_id: n.failed.id }),
      await route('get-trace-tree', { ...budget, flow_run_id: n.failed.id, expand: 'all' }),
    ];
    for (const a of answers) assert.ok(JSON.stringify(a).length <= 5000, JSON.stringify(a).slice(0, 200));
    assert.equal(answers[2].truncated, true);
    assert.ok(answers[2].next.cursor, 'a cut list continues after its last item');
  });

  it('offers the investigate-failed-run prompt', async () => {
    const client = clients.get('modern')!;
    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => p.name),
      ['investigate-failed-run'],
    );
    const named = await client.getPrompt({ name: 'investigate-failed-run', arguments: { flow_run_id: n.failed.id } });
    const text = (named.messages[0].content as { text: string }).text;
    assert.match(text, /nightly-failing/);
    assert.match(text, /nightly-etl/);
    assert.match(text, /Failed/);
    for (const tool of ['diagnose-flow-run', 'get-trace-tree', 'tail-logs', 'compare-flow-runs'])
      assert.match(text, new RegExp(tool));
    const latest = await client.getPrompt({ name: 'investigate-failed-run', arguments: { flow_name: 'nightly-etl' } });
    assert.match((latest.messages[0].content as { text: string }).text, /find-flow-runs/);
    await assert.rejects(
      client.getPrompt({
        name: 'investigate-failed-run',
        arguments: { flow_run_id: '00000000-0000-7000-8000-000000000000' },
      }),
      (err: Error & { code?: number }) => err.code === -32602,
    );
  });
});

describe('agent tools listing', () => {
  it('--mcp-tools curated lists only the agent tools; --mcp-read-only drops every writing tool', async () => {
    const { engines } = await import('../helpers/engines.ts');
    for (const [flags, check] of [
      [
        { 'mcp-tools': 'curated' },
        (names: string[]) => assert.deepEqual(names.sort(), AGENT_TOOLS.map((t) => t.name).sort()),
      ],
      [
        { 'mcp-read-only': 'true' },
        (names: string[]) => {
          for (const w of ['create-logs', 'delete-tag', 'create-workspace-events']) assert.ok(!names.includes(w), w);
          assert.ok(names.includes('diagnose-flow-run') && names.includes('get-flow-run-logs'));
        },
      ],
    ] as const) {
      const server = await startServer(engines[0], flags as Record<string, string>);
      await server.listen();
      const client = await httpClient(server.app.capabilities!.mcpUrls[0], 'modern');
      try {
        check((await client.listTools()).tools.map((t) => t.name));
      } finally {
        await client.close();
        await server.close();
      }
    }
  });
});
