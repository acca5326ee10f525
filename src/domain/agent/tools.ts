/**
 * The agent tools (issue 21): what each takes and returns. One declaration serves the route's
 * validation, the OpenAPI document and the MCP tool (`inputSchema`, `outputSchema`, description).
 */
import {
  array,
  bool,
  type Infer,
  int,
  literal,
  type ObjectSchema,
  object,
  oneOf,
  optional,
  str,
} from '../../lib/schema.ts';
import { TEXT_QUERY_MAX } from '../text-query.ts';
import { cuttable, type J, S } from './json-schema.ts';

const runId = (what: string) =>
  str({ min: 1, max: 64 }).describe(`${what}: a UUID or a unique prefix of at least 8 hex digits.`);
const when = (what: string) =>
  str({ min: 1, max: 40 }).describe(
    `${what}: ISO-8601 (2026-12-01T00:00:00Z) or an age before now (90s, 30m, 24h, 7d).`,
  );
const level = oneOf<string | number>(int({ min: 0, max: 100 }), str({ min: 1, max: 10 })).describe(
  'Minimum log level: a number (10 debug, 20 info, 30 warning, 40 error, 50 critical) or its name.',
);
const cursor = (what: string) => str({ min: 1, max: 2000 }).describe(`${what} (from a previous answer).`);
const format = literal(['json', 'text'] as const).describe(
  'json (default): log lines as objects; text: each as one line "time LEVEL logger | message".',
);
const loggers = array(str({ min: 1, max: 200 }), { max: 20 }).describe('Logger names, any of them (exact).');

// ---- outputs ------------------------------------------------------------------------------

const time = S.opt(S.str('ISO-8601'));
const seconds = S.opt(S.num('Seconds'));
const runRow = S.obj(
  {
    id: S.str(),
    name: S.str(),
    flow_name: S.str(),
    state_type: S.opt(S.str()),
    state_name: S.opt(S.str()),
    message: S.opt(S.str('The state message')),
    message_truncated: S.bool(),
    start_time: time,
    end_time: time,
    duration_s: seconds,
    tags: S.arr(S.str()),
    parent_flow_run_id: S.opt(S.str()),
    warning_count: S.int(),
    error_count: S.int(),
  },
  ['message_truncated'],
);
const logObject = (extra: Record<string, J> = {}) =>
  S.obj(
    {
      log_id: S.str(),
      timestamp: S.str(),
      level: S.int(),
      level_name: S.str(),
      logger: S.str(),
      task_run_id: S.opt(S.str()),
      message: S.str(),
      message_truncated: S.bool(),
      ...extra,
    },
    ['message_truncated', 'level'],
  );
const logItem = (extra: Record<string, J> = {}) => ({ anyOf: [logObject(extra), S.str('A log line (format: text)')] });
const nextStep = S.obj({ tool: S.str(), arguments: S.map({}) });
const runSummary = S.obj(
  { id: S.str(), name: S.str(), state_name: S.opt(S.str()), start_time: time, duration_s: seconds },
  [],
);
const taskSide = S.opt(S.obj({ state_name: S.opt(S.str()), duration_s: seconds, run_count: S.int() }));

export interface AgentTool {
  name: string;
  title: string;
  description: string;
  input: ObjectSchema<any>;
  output: J;
}

export const findFlowRunsInput = object({
  flow_name: optional(str({ min: 1, max: 200 }).describe("Case-insensitive substring of the flow's name.")),
  states: optional(
    array(str({ min: 1, max: 40 }), { max: 20 }).describe(
      'State types (FAILED, CRASHED, COMPLETED, RUNNING, …, any case) or state names (Retrying, AwaitingRetry), any of them.',
    ),
  ),
  tags: optional(array(str({ min: 1, max: 200 }), { max: 20 }).describe('Runs carrying any of these tags.')),
  text: optional(
    str({ min: 1, max: 200 }).describe(
      "Case-insensitive substring of the run's or its flow's name (log text: use search-logs).",
    ),
  ),
  since: optional(when('Runs that started at or after this time')),
  until: optional(when('Runs that started before this time')),
  include_subflows: optional(
    bool().describe('Also list subflow runs (default false: top-level runs only).'),
    () => false,
  ),
  limit: optional(int({ min: 1, max: 100 }).describe('Runs per answer, 1–100 (default 20).'), () => 20),
  cursor: optional(cursor('next_cursor')),
});
export type FindFlowRunsInput = Infer<typeof findFlowRunsInput>;

export const diagnoseFlowRunInput = object({
  flow_run_id: runId('The flow run to diagnose'),
  context_lines: optional(
    int({ min: 0, max: 20 }).describe('Log lines shown before each error, 0–20 (default 5).'),
    () => 5,
  ),
  max_errors: optional(int({ min: 1, max: 20 }).describe('Error logs returned, 1–20 (default 5).'), () => 5),
  format: optional(format, () => 'json' as const),
});
export type DiagnoseFlowRunInput = Infer<typeof diagnoseFlowRunInput>;

export const searchLogsInput = object({
  query: optional(
    str({ min: 1, max: TEXT_QUERY_MAX }).describe(
      `Prefect's text grammar over log messages: words (all must occur), "quoted phrases", -excluded; at most ${TEXT_QUERY_MAX} characters.`,
    ),
  ),
  level_ge: optional(level),
  loggers: optional(loggers),
  flow_run_id: optional(runId('Only logs of this flow run')),
  flow_name: optional(
    str({ min: 1, max: 200 }).describe(
      'Only logs of runs of flows whose name contains this (case-insensitive; the newest 200 such runs in the window).',
    ),
  ),
  since: optional(when('Logs at or after this time (default 7d)'), () => '7d'),
  until: optional(when('Logs before this time')),
  order: optional(
    literal(['newest', 'oldest'] as const).describe('newest (default) or oldest first.'),
    () => 'newest' as const,
  ),
  limit: optional(int({ min: 1, max: 200 }).describe('Hits per answer, 1–200 (default 50).'), () => 50),
  cursor: optional(cursor('next_cursor')),
  format: optional(format, () => 'json' as const),
});
export type SearchLogsInput = Infer<typeof searchLogsInput>;

export const tailLogsInput = object({
  flow_run_id: optional(runId('The flow run whose logs to read (or give task_run_id)')),
  task_run_id: optional(
    str({ min: 1, max: 64 }).describe("Only this task run's logs, by its full UUID (its flow run is found from it)."),
  ),
  scope: optional(
    literal(['run', 'trace'] as const).describe('run (default): this flow run; trace: with its subflows at any depth.'),
    () => 'run' as const,
  ),
  lines: optional(int({ min: 1, max: 500 }).describe('Lines per answer, 1–500 (default 100).'), () => 100),
  level_ge: optional(level),
  loggers: optional(loggers),
  query: optional(str({ min: 1, max: TEXT_QUERY_MAX }).describe("Prefect's text grammar over log messages.")),
  before: optional(cursor('older_cursor: the lines before the first line returned')),
  after: optional(cursor('newer_cursor: the lines logged after the last line returned')),
  format: optional(format, () => 'json' as const),
});
export type TailLogsInput = Infer<typeof tailLogsInput>;

export const compareFlowRunsInput = object({
  flow_run_id: runId('The run to explain'),
  baseline_flow_run_id: optional(runId("The run to compare with (default: the flow's latest earlier COMPLETED run)")),
});
export type CompareFlowRunsInput = Infer<typeof compareFlowRunsInput>;

export const traceTreeInput = object({
  flow_run_id: runId('Any flow run of the trace (the tree starts at its root)'),
  expand: optional(
    literal(['failed', 'all'] as const).describe(
      'failed (default): a subtree where nothing failed is one collapsed node; all: every span.',
    ),
    () => 'failed' as const,
  ),
  max_depth: optional(
    int({ min: 0, max: 1000 }).describe(
      'Deepest level listed (the root is 0); deeper spans are counted in collapsed_descendants.',
    ),
  ),
  max_nodes: optional(int({ min: 1, max: 5000 }).describe('Nodes per answer, 1–5,000 (default 500).'), () => 500),
  cursor: optional(cursor('next_cursor')),
});
export type TraceTreeInput = Infer<typeof traceTreeInput>;

const collapsed = S.opt(S.obj({ count: S.int(), state_counts: S.map(S.int()) }));

export const AGENT_TOOLS: AgentTool[] = [
  {
    name: 'find-flow-runs',
    title: 'Find flow runs',
    description:
      'Lists flow runs, newest first, with their state and state message, duration and warning/error counts. Start here when you know a flow name, a state ("the last failed run") or a tag but not a run id.',
    input: findFlowRunsInput,
    output: cuttable({ runs: S.arr(runRow), total: S.int('Runs matching'), next_cursor: S.opt(S.str()) }),
  },
  {
    name: 'diagnose-flow-run',
    title: 'Diagnose a flow run',
    description:
      'Answers "why did this run fail?" in one call: the failing path from the run to the deepest failed task, subflow or OpenTelemetry span, the exceptions OpenTelemetry recorded on it and the error logs with their tracebacks and the lines before them, the retries taken, the last events, the duration against recent runs and a one-sentence summary.',
    input: diagnoseFlowRunInput,
    output: cuttable(
      {
        run: S.obj({
          id: S.str(),
          name: S.str(),
          flow_name: S.str(),
          state_type: S.opt(S.str()),
          state_name: S.opt(S.str()),
          message: S.opt(S.str()),
          start_time: time,
          end_time: time,
          duration_s: seconds,
          run_count: S.int(),
        }),
        failed: S.bool('False when the run did not fail (then the lists are empty).'),
        summary: S.str(),
        failing_path: S.arr(
          S.obj(
            {
              span_id: S.str(),
              name: S.str(),
              span_type: S.str(),
              state_name: S.opt(S.str()),
              message: S.opt(S.str('The state message')),
              message_truncated: S.bool(),
            },
            ['message_truncated'],
          ),
        ),
        errors: S.arr({
          anyOf: [
            S.obj(
              {
                log_id: S.str(),
                span_id: S.str(),
                task_run_id: S.opt(S.str()),
                flow_run_id: S.str(),
                logger: S.str(),
                level: S.int(),
                timestamp: S.str(),
                message: S.str(),
                message_truncated: S.bool(),
                traceback: S.opt(S.str()),
                context_lines: S.arr(logItem()),
              },
              ['message_truncated'],
            ),
            S.obj(
              {
                source: S.str('"otel": an exception recorded on an OpenTelemetry span of the path'),
                span_id: S.str(),
                span_name: S.str(),
                span_type: S.str(),
                timestamp: S.str(),
                exception_type: S.opt(S.str()),
                message: S.str(),
                message_truncated: S.bool(),
                traceback: S.opt(S.str('The exception.stacktrace, its last 50 lines')),
              },
              ['message_truncated'],
            ),
          ],
        }),
        retries_taken: S.obj({
          flow: S.int('Retries of the run itself (run_count − 1)'),
          tasks: S.arr(S.obj({ task_run_id: S.str(), name: S.str(), run_count: S.int() })),
        }),
        last_events: S.arr(S.obj({ id: S.str(), event: S.str(), occurred: S.str(), resource_id: S.str() })),
        duration_vs_recent: S.obj({
          this_s: seconds,
          median_of_last_10_completed_s: seconds,
          runs_considered: S.int(),
          ratio: S.opt(S.num()),
        }),
        next_steps: S.arr(nextStep),
      },
      [],
    ),
  },
  {
    name: 'search-logs',
    title: 'Search logs',
    description:
      'Searches log messages across runs (text, level, logger, run or flow, time window), newest first by default; each hit names its run, flow, run state and task.',
    input: searchLogsInput,
    output: cuttable({
      hits: S.arr(
        logItem({
          flow_run_id: S.opt(S.str()),
          flow_run_name: S.opt(S.str()),
          flow_name: S.opt(S.str()),
          run_state_type: S.opt(S.str()),
          task_run_name: S.opt(S.str()),
        }),
      ),
      next_cursor: S.opt(S.str()),
    }),
  },
  {
    name: 'tail-logs',
    title: 'Tail logs',
    description:
      "A run's last log lines (oldest to newest, ending at its real last line), optionally one task's or the whole trace's; older_cursor pages back, newer_cursor reads what was logged since.",
    input: tailLogsInput,
    output: cuttable({
      run: S.obj({ id: S.str(), name: S.str(), state_type: S.opt(S.str()) }),
      total_lines: S.int('Lines in scope (level and logger filters applied; not the text query)'),
      lines: S.arr(logItem()),
      older_cursor: S.opt(S.str()),
      newer_cursor: S.opt(S.str()),
    }),
  },
  {
    name: 'compare-flow-runs',
    title: 'Compare two flow runs',
    description:
      "What changed between a run and a baseline (by default the flow's latest earlier COMPLETED run): parameters, tasks whose state, retries or duration differ, new loggers warning, log volume and duration.",
    input: compareFlowRunsInput,
    output: cuttable({
      target: runSummary,
      baseline: S.opt(runSummary),
      baseline_reason: S.str(),
      parameters: S.obj({
        changed: S.arr(S.obj({ name: S.str(), target: S.any(), baseline: S.any() })),
        added: S.arr(S.str()),
        removed: S.arr(S.str()),
      }),
      tasks: S.arr(S.obj({ task_key: S.str(), name: S.str(), target: taskSide, baseline: taskSide, change: S.str() })),
      new_error_loggers: S.arr(S.obj({ logger: S.str(), count: S.int() })),
      log_lines: S.obj({ target: S.int(), baseline: S.opt(S.int()) }),
      duration: S.obj({ target_s: seconds, baseline_s: seconds, ratio: S.opt(S.num()) }),
    }),
  },
  {
    name: 'get-trace-tree',
    title: 'Trace tree',
    description:
      "The run's trace as a tree (depth first, children by start time): with expand=failed, what completed folds into one node per subtree; more than 10 siblings of one name in one state fold into one node with group_count.",
    input: traceTreeInput,
    output: cuttable({
      trace_id: S.str(),
      total_spans: S.int(),
      nodes: S.arr(
        S.obj(
          {
            span_id: S.str(),
            parent_span_id: S.opt(S.str()),
            depth: S.int(),
            name: S.str(),
            span_type: S.str(),
            state_type: S.opt(S.str()),
            state_name: S.opt(S.str()),
            message: S.opt(S.str('The state message of a failed or crashed span')),
            message_truncated: S.bool(),
            start_time: time,
            duration_s: seconds,
            tags: S.arr(S.str()),
            collapsed: S.bool(),
            collapsed_descendants: collapsed,
            group_count: S.int(),
          },
          ['message', 'message_truncated'],
        ),
      ),
      next_cursor: S.opt(S.str()),
    }),
  },
];

export const agentTool = (name: string): AgentTool | undefined => AGENT_TOOLS.find((t) => t.name === name);
