/**
 * A 10,000-span trace built on a benchmark server the way Prefect clients build one: flows, flow
 * runs, tracking task runs and state changes over REST, every task run as `prefect.task-run.*`
 * events in the Prefect client's shape (Pending → Running → final state) over `/events/in`, and
 * artifacts over REST. The task-run events are what the recorder turns into task runs and spans.
 */
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import { formatMicros, formatPythonIso, nowMicros } from '../../src/domain/time.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { prng } from './logs-data.ts';

const SEC = 1_000_000;
const FINAL = [
  { type: 'COMPLETED', name: 'Completed', weight: 70 },
  { type: 'FAILED', name: 'Failed', weight: 12 },
  { type: 'CRASHED', name: 'Crashed', weight: 4 },
  { type: 'CANCELLED', name: 'Cancelled', weight: 4 },
  { type: 'RUNNING', name: 'Running', weight: 10 },
] as const;
const TAGS = ['etl', 'io', 'gpu', 'slow', 'prod', 'check', 'batch-1', 'batch-2'];
const WORDS = ['extract', 'transform', 'load', 'validate', 'enrich', 'publish', 'score', 'dedupe'];

export interface TraceShape {
  spans: number;
  subflows: number;
  tasksPerSubflow: number;
  artifacts: number;
}

export const TRACE_SHAPE: TraceShape = { spans: 10_000, subflows: 20, tasksPerSubflow: 100, artifacts: 500 };

export interface PlannedTask {
  id: string;
  flowRunId: string;
  flowRunName: string;
  name: string;
  taskKey: string;
  dynamicKey: string;
  tags: string[];
  final: (typeof FINAL)[number];
  start: number;
}

export interface BuiltTrace {
  rootId: string;
  subflowIds: string[];
  tasks: PlannedTask[];
  artifactIds: string[];
}

type Json = any;

/** The Prefect client's `prefect.task-run.<State>` event for one state of a task run. */
export function taskRunEvent(
  t: PlannedTask,
  state: { type: string; name: string },
  at: number,
  runCount: number,
): string {
  const ended =
    state.type === 'COMPLETED' || state.type === 'FAILED' || state.type === 'CRASHED' || state.type === 'CANCELLED';
  return JSON.stringify({
    occurred: formatMicros(at),
    event: `prefect.task-run.${state.name}`,
    resource: {
      'prefect.resource.id': `prefect.task-run.${t.id}`,
      'prefect.resource.name': t.name,
      'prefect.run-count': String(runCount),
      'prefect.state-message': '',
      'prefect.state-name': state.name,
      'prefect.state-timestamp': formatPythonIso(at),
      'prefect.state-type': state.type,
      'prefect.orchestration': 'client',
    },
    related: [
      {
        'prefect.resource.id': `prefect.flow-run.${t.flowRunId}`,
        'prefect.resource.role': 'flow-run',
        'prefect.resource.name': t.flowRunName,
      },
    ],
    payload: {
      intended: { from: null, to: state.type },
      validated_state: { type: state.type, name: state.name, message: '', state_details: {}, data: null },
      task_run: {
        name: t.name,
        task_key: t.taskKey,
        dynamic_key: t.dynamicKey,
        empirical_policy: { max_retries: 0, retry_delay_seconds: 0, retries: 0, retry_delay: 0 },
        tags: t.tags,
        labels: {},
        task_inputs: { n: [] },
        run_count: runCount,
        flow_run_run_count: 1,
        expected_start_time: formatMicros(t.start - SEC),
        start_time: state.type === 'PENDING' ? null : formatMicros(t.start),
        end_time: ended ? formatMicros(at) : null,
        total_run_time: ended ? (at - t.start) / SEC : 0,
      },
    },
    id: uuid7(),
    follows: null,
  });
}

/** Every event of every planned task, in order per task: Pending, Running, then the final state. */
export function taskEvents(tasks: PlannedTask[]): string[][] {
  return tasks.map((t) => {
    const events = [
      taskRunEvent(t, { type: 'PENDING', name: 'Pending' }, t.start - SEC, 0),
      taskRunEvent(t, { type: 'RUNNING', name: 'Running' }, t.start, 1),
    ];
    if (t.final.type !== 'RUNNING') events.push(taskRunEvent(t, t.final, t.start + 2 * SEC, 1));
    return events;
  });
}

async function post(http: HttpClient, path: string, body: unknown): Promise<Json> {
  const r = await http.ok('POST', path, JSON.stringify(body));
  return r.body ? JSON.parse(r.body) : undefined;
}

/** Creates the flow runs (root, tracking task runs, subflows) over REST and plans every task run. */
export async function createRuns(
  apiUrl: string,
  shape: TraceShape,
  seed = 42,
): Promise<Omit<BuiltTrace, 'artifactIds'>> {
  const http = new HttpClient(apiUrl);
  const r = prng(seed);
  const pick = <T extends { weight: number }>(xs: readonly T[]) => {
    let x = r() * xs.reduce((a, i) => a + i.weight, 0);
    for (const i of xs) if ((x -= i.weight) < 0) return i;
    return xs[xs.length - 1];
  };
  try {
    const flow = await post(http, 'flows/', { name: `bench-trace-${uuid4().slice(0, 8)}` });
    const root = await post(http, 'flow_runs/', {
      flow_id: flow.id,
      tags: ['etl', 'prod'],
      parameters: { n: 10, label: 'bench' },
    });
    await post(http, `flow_runs/${root.id}/set_state`, { state: { type: 'RUNNING' } });
    const t0 = nowMicros();
    const tasks: PlannedTask[] = [];
    const plan = (flowRunId: string, flowRunName: string, i: number) => {
      const word = WORDS[i % WORDS.length];
      tasks.push({
        id: uuid7(),
        flowRunId,
        flowRunName,
        name: `${word}-${i.toString(36)}`,
        taskKey: `${word}-${flowRunId.slice(0, 8)}`,
        dynamicKey: String(i),
        tags: TAGS.filter(() => r() < 0.15),
        final: pick(FINAL),
        start: t0 + Math.floor(r() * 3600 * SEC),
      });
    };
    const rootTasks = shape.spans - 1 - 2 * shape.subflows - shape.subflows * shape.tasksPerSubflow - shape.artifacts;
    for (let i = 0; i < rootTasks; i++) plan(root.id, root.name, i);
    const subflowIds: string[] = [];
    for (let s = 0; s < shape.subflows; s++) {
      const tracking = await post(http, 'task_runs/', {
        flow_run_id: root.id,
        task_key: `subflow-${s}`,
        dynamic_key: '0',
        name: `subflow-${s}-0`,
      });
      const sub = await post(http, 'flow_runs/', {
        flow_id: flow.id,
        parent_task_run_id: tracking.id,
        tags: ['etl'],
        parameters: { part: s },
      });
      await post(http, `flow_runs/${sub.id}/set_state`, { state: { type: 'RUNNING' } });
      subflowIds.push(sub.id);
      for (let i = 0; i < shape.tasksPerSubflow; i++) plan(sub.id, sub.name, i);
    }
    return { rootId: root.id, subflowIds, tasks };
  } finally {
    http.close();
  }
}

/** Artifacts on random root tasks (4 clients), then the subflows and the root end. */
export async function finishTrace(
  apiUrl: string,
  built: Omit<BuiltTrace, 'artifactIds'>,
  shape: TraceShape,
): Promise<BuiltTrace> {
  const http = new HttpClient(apiUrl, { connections: 4 });
  const r = prng(7);
  const rootTasks = built.tasks.filter((t) => t.flowRunId === built.rootId);
  const artifactIds: string[] = [];
  let next = 0;
  try {
    await runClients(4, () => {
      if (next >= shape.artifacts) return undefined;
      const i = next++;
      const t = rootTasks[Math.floor(r() * rootTasks.length)];
      return post(http, 'artifacts/', {
        key: i % 3 === 0 ? `report-${i}` : null,
        type: i % 2 === 0 ? 'markdown' : 'table',
        description: i % 5 === 0 ? `Quality report ${i}` : null,
        data: `# report ${i}`,
        flow_run_id: built.rootId,
        task_run_id: t.id,
      }).then((a) => {
        artifactIds.push(a.id);
      });
    });
    for (const [i, id] of built.subflowIds.entries()) {
      await post(http, `flow_runs/${id}/set_state`, { state: { type: i % 4 === 0 ? 'FAILED' : 'COMPLETED' } });
    }
    await post(http, `flow_runs/${built.rootId}/set_state`, { state: { type: 'FAILED' } });
  } finally {
    http.close();
  }
  return { ...built, artifactIds };
}
