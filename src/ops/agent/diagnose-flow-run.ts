/**
 * `diagnose-flow-run`: why a run failed, in one answer. The failing path runs from the run down
 * to the deepest FAILED or CRASHED span (at each level the failed child that ended first; OTel
 * spans of user code included); the errors are the exceptions OTel recorded on the spans of that
 * path, deepest first, then the logs at ERROR or above of the flow runs on it, deepest first and
 * newest first within a run, each with its traceback and the lines logged before it.
 */
import { cutMessage, exceptionLine, tracebackOf, tracebackTail } from '../../domain/agent/text.ts';
import type { DiagnoseFlowRunInput } from '../../domain/agent/tools.ts';
import type { LogRow } from '../../domain/logs.ts';
import { spanExceptions } from '../../domain/otlp/spans.ts';
import type { RunListRow } from '../../domain/runs/run-list.ts';
import type { SpanRow } from '../../domain/spans/span.ts';
import { formatMicros, formatNullable, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { fitLists } from './fit.ts';
import { flowRunsById, logItem, positionOf, stateMessages } from './log-lines.ts';
import { durationSeconds, resolveFlowRun } from './runs.ts';

const FAILED = ['FAILED', 'CRASHED'] as const;
const ERROR = 40;
const PATH_MAX = 100;
const EVENTS = 10;
const RECENT = 10;
/** Task runs read for their retries, per flow run on the path. */
const TASKS_READ = 1000;
/** Error logs of one run read to pick those of the failing tasks first. */
const ERRORS_READ = 200;

type Obj = Record<string, unknown>;

/** The spans from the run down to the deepest failed one (the run's own span first). */
async function failingPath(ctx: OpContext, root: SpanRow): Promise<SpanRow[]> {
  const spans = storeOf(ctx.services).spans;
  const path = [root];
  for (let cur = root; path.length < PATH_MAX; ) {
    const failed = await spans.list(ctx.workspace.id, cur.trace_id, {
      filters: { parent_span_id: cur.span_id, state_types: [...FAILED] },
      descending: false,
      limit: 1000,
    });
    if (!failed.length) break;
    const end = (s: SpanRow) => s.end_time ?? Number.MAX_SAFE_INTEGER;
    cur = failed.reduce((a, b) => (end(b) < end(a) ? b : a));
    path.push(cur);
  }
  return path;
}

/** Exceptions OTel recorded on the spans of the path (run spans and user spans), deepest first, newest first. */
function otelExceptions(path: SpanRow[], max: number): Obj[] {
  const out: Obj[] = [];
  for (const s of [...path].reverse())
    for (const x of spanExceptions(s.attributes).reverse()) {
      if (out.length >= max) return out;
      const line = x.type && x.message ? `${x.type}: ${x.message}` : (x.message ?? x.type ?? 'exception');
      out.push({
        source: 'otel',
        span_id: s.span_id,
        span_name: s.name,
        span_type: s.span_type,
        timestamp: x.time,
        exception_type: x.type,
        ...cutMessage(line),
        traceback: x.stacktrace ? tracebackTail(x.stacktrace) : null,
      });
    }
  return out;
}

/** Error logs of the runs deepest first; within a run, those of the spans on the path first, newest first. */
async function errorLogs(
  ctx: OpContext,
  flowRunIds: string[],
  onPath: Set<string>,
  input: DiagnoseFlowRunInput,
): Promise<Obj[]> {
  const logs = storeOf(ctx.services).logs;
  const out: Obj[] = [];
  for (const id of flowRunIds) {
    if (out.length >= input.max_errors) break;
    const errors = await logs.filter(ctx.workspace.id, {
      filter: { operator: 'and_', flow_run_id: { any_: [id] }, level: { ge_: ERROR } },
      sort: 'TIMESTAMP_DESC',
      limit: ERRORS_READ,
      offset: 0,
    });
    const rank = (l: LogRow) => (l.task_run_id && onPath.has(l.task_run_id) ? 0 : 1);
    const ordered = errors.map((l, i) => ({ l, i })).sort((a, b) => rank(a.l) - rank(b.l) || a.i - b.i);
    for (const { l } of ordered.slice(0, input.max_errors - out.length)) out.push(await errorEntry(ctx, l, input));
  }
  return out;
}

async function errorEntry(ctx: OpContext, e: LogRow, input: DiagnoseFlowRunInput): Promise<Obj> {
  const before = input.context_lines
    ? await storeOf(ctx.services).logs.filter(ctx.workspace.id, {
        filter: { operator: 'and_', flow_run_id: { any_: [e.flow_run_id!] } },
        sort: 'TIMESTAMP_DESC',
        limit: input.context_lines,
        offset: 0,
        after: positionOf(e),
      })
    : [];
  return {
    log_id: e.id,
    span_id: e.task_run_id ?? e.flow_run_id,
    task_run_id: e.task_run_id,
    flow_run_id: e.flow_run_id,
    logger: e.name,
    level: e.level,
    timestamp: formatMicros(e.timestamp),
    ...cutMessage(e.message),
    traceback: tracebackOf(e.message),
    context_lines: before.reverse().map((l) => logItem(l, input.format)),
  };
}

/**
 * Task runs of these flow runs that ran more than once, from their spans (which carry the run
 * count and cost a fraction of a task-run read).
 */
async function retriedTasks(ctx: OpContext, traceId: string, flowRunIds: string[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const id of flowRunIds) {
    const spans = await storeOf(ctx.services).spans.list(ctx.workspace.id, traceId, {
      filters: { parent_span_id: id, entities: ['task-run'] },
      descending: false,
      limit: TASKS_READ,
    });
    for (const s of spans) {
      const runs = Number(s.attributes['prefect.run.run_count'] ?? 0);
      if (runs > 1) out.push({ task_run_id: s.span_id, name: s.name, run_count: runs });
    }
  }
  return out;
}

async function lastEvents(ctx: OpContext, run: RunListRow): Promise<Obj[]> {
  const events = await storeOf(ctx.services).events.runEvents(ctx.workspace.id, run.run.id, {
    withTaskRuns: true,
    order: 'DESC',
    offset: 0,
    limit: EVENTS * 3,
  });
  const until = run.run.end_time ?? Number.MAX_SAFE_INTEGER;
  return events
    .filter((e) => e.occurred <= until)
    .slice(0, EVENTS)
    .reverse()
    .map((e) => ({ id: e.id, event: e.event, occurred: formatMicros(e.occurred), resource_id: e.resourceId }));
}

/** This run's duration against the median of the flow's last 10 COMPLETED runs before it. */
async function durationVsRecent(ctx: OpContext, run: RunListRow): Promise<Obj> {
  const now = nowMicros();
  const thisS = durationSeconds(run.run, now);
  const { rows } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    flowIds: [run.run.flow_id],
    stateTypes: ['COMPLETED'],
    ...(run.run.start_time !== null ? { startedBefore: run.run.start_time } : {}),
    descending: true,
    limit: RECENT,
    offset: 0,
  });
  const durations = rows
    .filter((r) => r.run.id !== run.run.id)
    .map((r) => durationSeconds(r.run, now))
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  const median = durations.length
    ? durations.length % 2
      ? durations[(durations.length - 1) / 2]
      : (durations[durations.length / 2 - 1] + durations[durations.length / 2]) / 2
    : null;
  return {
    this_s: thisS,
    median_of_last_10_completed_s: median,
    runs_considered: durations.length,
    ratio: thisS !== null && median ? thisS / median : null,
  };
}

interface Where {
  /** The deepest failed span, when below the run. */
  deepest?: { name: string; span_type: string; span_id: string };
  /** The flow of the deepest failed subflow run, when the failure is inside a subflow. */
  subflow?: string;
}

function summaryOf(run: RunListRow, where: Where, errors: Obj[], retries: Obj[], messages: (string | null)[]): string {
  const r = run.run;
  const d = where.deepest;
  const kind = { 'task-run': 'task', 'flow-run': 'subflow run', otel: 'span' }[d?.span_type ?? ''] ?? 'span';
  const place = d ? ` in ${kind} '${d.name}'` : '';
  const sub = where.subflow ? ` of subflow '${where.subflow}'` : '';
  const retried = d && retries.find((t) => t.task_run_id === d.span_id);
  const n = retried ? (retried.run_count as number) - 1 : 0;
  const tries = n ? ` after ${n} retr${n === 1 ? 'y' : 'ies'}` : '';
  const tb = errors.map((e) => e.traceback as string | null).find((t) => t);
  const otel = errors.find((e) => e.source === 'otel')?.message as string | undefined;
  const cause = (tb && exceptionLine(tb)) ?? otel ?? messages.find((m) => m) ?? null;
  return `Flow run '${r.name}' of flow '${run.flowName}' ended ${r.state_name ?? r.state_type}${place}${sub}${tries}${
    cause ? `: ${cause.split('\n')[0].slice(0, 300)}` : '.'
  }`;
}

export async function diagnoseFlowRun(ctx: OpContext, input: DiagnoseFlowRunInput, maxChars?: number): Promise<Obj> {
  const out = await diagnosis(ctx, input);
  // Over the budget: fewer lines before each error first, then fewer errors, events, path spans.
  const errors = out.errors as Obj[];
  const over = () => maxChars !== undefined && JSON.stringify(out).length > maxChars;
  for (let lines = input.context_lines; over() && lines > 0; ) {
    lines = Math.floor(lines / 2);
    const keep = lines;
    out.errors = errors.map((e) => ({ ...e, context_lines: keep ? (e.context_lines as unknown[]).slice(-keep) : [] }));
  }
  return fitLists(
    out,
    ['errors', 'last_events', 'failing_path'],
    maxChars,
    'more errors: search-logs with flow_run_id and level_ge "error"; the whole path: get-trace-tree',
  );
}

async function diagnosis(ctx: OpContext, input: DiagnoseFlowRunInput): Promise<Obj> {
  const store = storeOf(ctx.services);
  const run = await resolveFlowRun(ctx, 'flow_run_id', input.flow_run_id);
  const r = run.run;
  const now = nowMicros();
  const runOut = {
    id: r.id,
    name: r.name,
    flow_name: run.flowName,
    state_type: r.state_type,
    state_name: r.state_name,
    message: cutMessage(r.state?.message ?? null).message,
    start_time: formatNullable(r.start_time),
    end_time: formatNullable(r.end_time),
    duration_s: durationSeconds(r, now),
    run_count: r.run_count,
  };
  const failed = r.state_type === 'FAILED' || r.state_type === 'CRASHED';
  const durations = await durationVsRecent(ctx, run);
  const next = (tool: string, args: Obj) => ({ tool, arguments: args });
  if (!failed) {
    return {
      run: runOut,
      failed: false,
      summary: `Flow run '${r.name}' of flow '${run.flowName}' did not fail: it is ${r.state_name ?? r.state_type ?? 'without a state'}.`,
      failing_path: [],
      errors: [],
      retries_taken: { flow: Math.max(0, r.run_count - 1), tasks: [] },
      last_events: await lastEvents(ctx, run),
      duration_vs_recent: durations,
      next_steps: [next('tail-logs', { flow_run_id: r.id }), next('compare-flow-runs', { flow_run_id: r.id })],
    };
  }
  const root = await store.spans.get(ctx.workspace.id, r.id);
  const spans = root ? await failingPath(ctx, root) : [];
  const messages = await stateMessages(ctx, spans);
  const path = spans.map((s) => ({
    span_id: s.span_id,
    name: s.name,
    span_type: s.span_type,
    state_name: s.state_name,
    ...cutMessage(messages.get(s.span_id) ?? null),
  }));
  const flowRunIds = spans.filter((s) => s.span_type === 'flow-run').map((s) => s.span_id);
  if (!flowRunIds.length) flowRunIds.push(r.id);
  const deepestFirst = [...flowRunIds].reverse();
  const exceptions = otelExceptions(spans, input.max_errors);
  const errors = [
    ...exceptions,
    ...(await errorLogs(ctx, deepestFirst, new Set(spans.map((x) => x.span_id)), {
      ...input,
      max_errors: input.max_errors - exceptions.length,
    })),
  ];
  const tasks = root ? await retriedTasks(ctx, root.trace_id, flowRunIds) : [];
  const deepest = spans.length > 1 ? spans.at(-1) : undefined;
  const deepestRun =
    deepestFirst[0] !== r.id ? (await flowRunsById(ctx, [deepestFirst[0]])).get(deepestFirst[0]) : undefined;
  const failingTask = deepest?.span_type === 'task-run' ? deepest : undefined;
  return {
    run: runOut,
    failed: true,
    summary: summaryOf(run, { deepest, subflow: deepestRun?.flowName }, errors, tasks, [
      ...[...messages.values()].reverse(),
      r.state?.message ?? null,
    ]),
    failing_path: path,
    errors,
    retries_taken: { flow: Math.max(0, r.run_count - 1), tasks },
    last_events: await lastEvents(ctx, run),
    duration_vs_recent: durations,
    next_steps: [
      next('tail-logs', {
        flow_run_id: deepestFirst[0],
        ...(failingTask ? { task_run_id: failingTask.span_id } : {}),
      }),
      next('get-trace-tree', { flow_run_id: r.id, expand: 'failed' }),
      next('compare-flow-runs', { flow_run_id: r.id }),
    ],
  };
}
