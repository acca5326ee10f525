/**
 * A fuzz run against a spawned `sightline serve`: seed two workspaces, read the operations from
 * the API's own descriptions, then send `count` cases (each derived from the seed and its index)
 * and judge every answer. Between cases: the server must still run with RSS under 400 MB; every
 * 250 cases and at the end, a fixed set of reads of the untouched second workspace must answer
 * exactly as before the run, and reads of the fuzzed one must still succeed (nothing poisoned).
 * The first failure stops the run with a ready-to-run reproduction.
 */
import { readFileSync } from 'node:fs';
import { type Served, serve } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engines.ts';
import { buildCase, type Case, describeCase, type WsSchemas } from './cases.ts';
import { discover, type Operation } from './operations.ts';
import { judge } from './oracles.ts';
import { caseSeed, Rng } from './rng.ts';
import { type Answer, sendHttp, sendWs } from './send.ts';
import type { Pool, Schema } from './values.ts';

export const RSS_LIMIT_MB = 400;
const CHECK_EVERY = 250;
const MAX_BODY = 16 * 1024 * 1024;

export interface FuzzOptions {
  engine: string;
  dbUrl: string;
  seed: number;
  count: number;
  /** Replay only this case (after seeding a fresh server). */
  only?: number;
  progress?: (line: string) => void;
  /** Called with every case and its answer's status (for `--verbose`). */
  trace?: (line: string) => void;
  /** Record failures and go on (until the server dies) instead of stopping at the first. */
  keepGoing?: boolean;
  /**
   * Include bodies of `--max-body` + 1 bytes, sent whole before the answer is read (as the Prefect
   * client sends): the oracle wants a 413 the client can read. On by default.
   */
  overLimitUploads?: boolean;
}

export interface FuzzReport {
  cases: number;
  seconds: number;
  maxRssMb: number;
  byStatus: Record<string, number>;
  bySurface: Record<string, number>;
  operations: number;
  /** With `keepGoing`: every failure's report. */
  failures: string[];
}

export class FuzzFailure extends Error {}

interface Urls {
  api: string;
  rest: string;
  mcp: string;
  origin: string;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function call(url: string, method: string, body?: unknown): Promise<any> {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`seeding: ${method} ${url} → ${r.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A flow, a run with a task run and their states, logs, events with tags, an artifact. */
async function seedWorkspace(root: string, tag: string) {
  const flow = await call(`${root}/flows/`, 'POST', { name: `fuzz-flow-${tag}` });
  const run = await call(`${root}/flow_runs/`, 'POST', {
    flow_id: flow.id,
    name: `fuzz-run-${tag}`,
    tags: ['fuzz', tag],
  });
  const runState = (await call(`${root}/flow_runs/${run.id}/set_state`, 'POST', { state: { type: 'RUNNING' } })).state;
  const task = await call(`${root}/task_runs/`, 'POST', {
    flow_run_id: run.id,
    task_key: 'fuzz-task',
    dynamic_key: '0',
    name: 'fuzz-task-0',
  });
  const taskState = (await call(`${root}/task_runs/${task.id}/set_state`, 'POST', { state: { type: 'RUNNING' } }))
    .state;
  await call(`${root}/task_runs/${task.id}/set_state`, 'POST', { state: { type: 'COMPLETED' } });
  await call(`${root}/flow_runs/${run.id}/set_state`, 'POST', { state: { type: 'COMPLETED' } });
  const base = Date.now() - 3_600_000;
  const at = (i: number) => new Date(base + i * 1000).toISOString();
  await call(`${root}/logs/`, 'POST', [
    ...Array.from({ length: 30 }, (_, i) => ({
      name: i % 3 ? 'prefect.flow_runs' : 'etl.step',
      level: [10, 20, 30, 40][i % 4],
      message: `fuzz log ${tag} ${i} timeout=${i % 5}`,
      timestamp: at(i),
      flow_run_id: run.id,
      task_run_id: i % 2 ? task.id : null,
    })),
  ]);
  const events = Array.from({ length: 12 }, (_, i) => ({
    id: crypto.randomUUID(),
    event: `fuzz.${tag}.event.${i % 3}`,
    occurred: at(i),
    resource: { 'prefect.resource.id': `prefect.flow-run.${run.id}`, 'prefect.resource.name': `fuzz-run-${tag}` },
    related: [
      { 'prefect.resource.id': `prefect.tag.fuzz-${i % 2}`, 'prefect.resource.role': 'tag' },
      { 'prefect.resource.id': `prefect.flow.${flow.id}`, 'prefect.resource.role': 'flow' },
    ],
    payload: { i, tag },
  }));
  await call(`${root}/events`, 'POST', events);
  const artifact = await call(`${root}/artifacts/`, 'POST', {
    key: `fuzz-${tag}`,
    type: 'markdown',
    data: `# ${tag}`,
    flow_run_id: run.id,
  });
  const doomedRun = await call(`${root}/flow_runs/`, 'POST', {
    flow_id: (await call(`${root}/flows/`, 'POST', { name: `doomed-${tag}` })).id,
  });
  const doomed = {
    flowId: doomedRun.flow_id,
    flowRunId: doomedRun.id,
    taskRunId: (
      await call(`${root}/task_runs/`, 'POST', { flow_run_id: doomedRun.id, task_key: 'doomed', dynamic_key: '0' })
    ).id,
    artifactId: (await call(`${root}/artifacts/`, 'POST', { key: `doomed-${tag}`, data: 1 })).id,
  };
  const page = await call(`${root}/events/filter`, 'POST', { filter: { event: { prefix: ['fuzz.'] } }, limit: 1 });
  const pageToken = new URL(page.next_page).searchParams.get('page-token')!;
  return { flow, run, runState, task, taskState, events, artifact, pageToken, doomed };
}

/** The reads whose answers must never change (workspace B is never addressed by a case). */
function fixedReads(root: string, b: Awaited<ReturnType<typeof seedWorkspace>>): [string, string, unknown?][] {
  return [
    ['GET', `${root}/flow_runs/${b.run.id}`],
    ['GET', `${root}/task_runs/${b.task.id}`],
    ['POST', `${root}/logs/filter`, { logs: { flow_run_id: { any_: [b.run.id] } } }],
    ['GET', `${root}/flow_runs/${b.run.id}/logs`],
    ['GET', `${root}/flow_runs/${b.run.id}/logs/download`],
    ['POST', `${root}/events/filter`, { filter: { id: { id: b.events.map((e) => e.id) } }, limit: 50 }],
    ['GET', `${root}/traces/${b.run.id}`],
    ['GET', `${root}/observed-loggers`],
    ['POST', `${root}/artifacts/filter`, {}],
  ];
}

/**
 * Reads of the fuzzed workspace: their answers change (cases write to it), but they must keep
 * answering 200 — whatever the cases stored, nothing may break later reads.
 */
function healthReads(root: string, a: Awaited<ReturnType<typeof seedWorkspace>>): [string, string, unknown?][] {
  return [
    ['POST', `${root}/logs/filter`, { limit: 200 }],
    ['POST', `${root}/logs/filter`, { logs: { text: { query: 'timeout' } }, sort: 'TIMESTAMP_DESC' }],
    [
      'POST',
      `${root}/logs/filter`,
      { logs: { flow_run_id: { any_: [a.run.id] } }, sort: 'TIMESTAMP_DESC', limit: 200 },
    ],
    ['GET', `${root}/flow_runs/${a.run.id}/logs/download`],
    ['POST', `${root}/events/filter`, { limit: 50 }],
    [
      'POST',
      `${root}/events/filter`,
      { filter: { occurred: { since: '1700-01-01T00:00:00Z', until: '2199-12-31T00:00:00Z' } }, limit: 50 },
    ],
    ['POST', `${root}/events/count-by/event`, { filter: {} }],
    ['GET', `${root}/observed-loggers`],
    ['GET', `${root}/tags`],
    ['POST', `${root}/flow_runs/filter`, {}],
    ['POST', `${root}/task_runs/filter`, {}],
    ['POST', `${root}/artifacts/filter`, {}],
    ['GET', `${root}/traces/${a.run.id}`],
    ['GET', `${root}/flow_runs/${a.run.id}/events`],
    ['GET', `${root}/observed-states`],
  ];
}

async function readAll(reads: [string, string, unknown?][]): Promise<{ status: number; body: string }[]> {
  const out = [];
  for (const [method, url, body] of reads) {
    const r = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    out.push({ status: r.status, body: await r.text() });
  }
  return out;
}

/** Surfaces are drawn with these weights, then an operation of the surface uniformly. */
const SURFACE_WEIGHTS = [
  ['api', 50],
  ['rest', 15],
  ['mcp', 20],
  ['ws', 15],
] as const;

function wsSchemas(ops: Operation[]): WsSchemas {
  const body = (path: string) =>
    (ops.find((o) => o.surface === 'api' && o.method === 'POST' && o.path === path) as { body?: Schema } | undefined)
      ?.body ?? {};
  return {
    event: body('/api/events').items ?? {},
    eventFilter: body('/api/events/filter').properties?.filter ?? {},
    logFilter: body('/api/logs/filter').properties?.logs ?? {},
  };
}

async function start(opts: FuzzOptions): Promise<{ served: Served; urls: Urls }> {
  const served = await serve(
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      tempDir('sightline-fuzz-'),
      '--db',
      opts.dbUrl,
      '--log-level',
      'error',
      '--max-body',
      String(MAX_BODY),
    ],
    {},
    [process.execPath, '--max-semi-space-size=16', new URL('../../src/cli/main.ts', import.meta.url).pathname],
  );
  const api = served.lines.api;
  return { served, urls: { api, rest: served.lines.rest, mcp: served.lines.mcp, origin: new URL(api).origin } };
}

function send(c: Case, urls: Urls): Promise<Answer> {
  if (c.kind === 'ws') return sendWs(urls.origin, c);
  if (c.kind === 'mcp') return sendHttp(urls.mcp, 'POST', new URL(urls.mcp).pathname, c.headers, c.body);
  const base = c.surface === 'rest' ? new URL(urls.rest).origin : urls.origin;
  return sendHttp(base, c.method, c.url, c.headers, c.body);
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const { served, urls } = await start(opts);
  const output = () => served.stderr().slice(-4000);
  try {
    const a = await seedWorkspace(urls.api, 'a');
    const account = served.lines.account;
    const created = await call(`${urls.api}/accounts/${account}/workspaces/`, 'POST', {
      name: 'fuzz-b',
      handle: 'fuzz-b',
    });
    const bRoot = `${urls.api}/accounts/${account}/workspaces/${created.id}`;
    const b = await seedWorkspace(bRoot, 'b');
    const pool: Pool = {
      accountId: account,
      workspaceId: served.lines.workspace,
      flowId: a.flow.id,
      flowRunId: a.run.id,
      taskRunId: a.task.id,
      artifactId: a.artifact.id,
      flowRunStateId: a.runState.id,
      taskRunStateId: a.taskState.id,
      eventId: a.events[0].id,
      pageTokens: [a.pageToken],
      foreignPageToken: b.pageToken,
      doomed: a.doomed,
    };
    const ops = await discover(urls);
    const bySurface = new Map<string, Operation[]>();
    for (const op of ops) bySurface.set(op.surface, [...(bySurface.get(op.surface) ?? []), op]);
    const schemas = wsSchemas(ops);
    const fixed = fixedReads(bRoot, b);
    const health = healthReads(urls.api, a);
    const before = await readAll(fixed);

    const report: FuzzReport = {
      cases: 0,
      seconds: 0,
      maxRssMb: 0,
      byStatus: {},
      bySurface: {},
      operations: ops.length,
      failures: [],
    };
    const fail = (index: number, c: Case | undefined, problems: string[]) => {
      const replay = `npm run fuzz -- --engine ${opts.engine} --seed ${opts.seed}`;
      const text = [
        `fuzz case ${index} (seed ${opts.seed}, ${opts.engine})${c ? `: ${c.label} — ${c.mutation}` : ''}`,
        ...problems.map((p) => `  ✗ ${p}`),
        ...(c ? ['request:', describeCase(c)] : []),
        'reproduce:',
        `  this case alone:       ${replay} --case ${index}`,
        `  the run up to it:      FUZZ_SEED=${opts.seed} FUZZ_COUNT=${index + 1} ${replay} --count ${index + 1}`,
        'server output (tail):',
        output(),
      ].join('\n');
      const dead = served.child.exitCode !== null || served.child.signalCode !== null;
      if (!opts.keepGoing || dead) throw new FuzzFailure(text);
      report.failures.push(text);
    };
    const checkReads = async (index: number) => {
      const now = await readAll(fixed);
      for (let i = 0; i < fixed.length; i++) {
        if (now[i].status !== before[i].status || now[i].body !== before[i].body) {
          fail(index, undefined, [
            `after case ${index}, ${fixed[i][0]} ${fixed[i][1]} answers differently:`,
            `before ${before[i].status} ${before[i].body.slice(0, 300)}`,
            `now    ${now[i].status} ${now[i].body.slice(0, 300)}`,
          ]);
        }
      }
      const h = await readAll(health);
      h.forEach((r, i) => {
        if (r.status !== 200)
          fail(index, undefined, [
            `after case ${index}, ${health[i][0]} ${health[i][1]} answers ${r.status}: ${r.body.slice(0, 300)}`,
          ]);
      });
    };

    const indexes = opts.only === undefined ? Array.from({ length: opts.count }, (_, i) => i) : [opts.only];
    for (const index of indexes) {
      const rng = new Rng(caseSeed(opts.seed, index));
      const surface = rng.weighted(SURFACE_WEIGHTS);
      const op = rng.pick(bySurface.get(surface)!);
      const c = buildCase(op, {
        rng,
        pool,
        ws: schemas,
        maxBody: MAX_BODY,
        overLimitUploads: opts.overLimitUploads ?? true,
      });
      const answer = await send(c, urls);
      const problems = judge(c, answer);
      if (served.child.exitCode !== null || served.child.signalCode !== null)
        problems.push(`the server exited (${served.child.exitCode ?? served.child.signalCode})`);
      const rss = served.child.exitCode === null ? rssMb(served.child.pid!) : 0;
      report.maxRssMb = Math.max(report.maxRssMb, rss);
      if (rss > RSS_LIMIT_MB) problems.push(`server RSS ${rss.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB)`);
      if (problems.length) fail(index, c, problems);
      const status =
        answer.kind === 'http'
          ? `${Math.floor(answer.status / 100)}xx`
          : answer.kind === 'ws'
            ? answer.refused
              ? `ws ${answer.refused}`
              : `ws close ${answer.close?.code}`
            : 'failed';
      opts.trace?.(`${index} ${status} ${c.label} — ${c.mutation.slice(0, 120)}`);
      report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
      report.bySurface[surface] = (report.bySurface[surface] ?? 0) + 1;
      report.cases++;
      if ((report.cases % CHECK_EVERY === 0 || report.cases === indexes.length) && report.cases) {
        await checkReads(index);
        opts.progress?.(
          `${report.cases} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s, max RSS ${report.maxRssMb.toFixed(0)} MB`,
        );
      }
    }
    report.seconds = (performance.now() - t0) / 1000;
    return report;
  } finally {
    served.child.kill('SIGTERM');
    const killer = setTimeout(() => served.child.kill('SIGKILL'), 30_000);
    await served.exited;
    clearTimeout(killer);
  }
}
