/**
 * Prefect's flow-run graph (`GET /flow_runs/{id}/graph-v2`): a node per task run of the flow run
 * (a task run tracking a subflow is drawn as that flow run), edges from the task runs' inputs
 * (`__parents__` inputs are the enclosing task, not an edge), the run's states and artifacts.
 */

import { any, array, bool, literal, named, object, orNull, str, tuple } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import type { ArtifactRow } from './artifacts.ts';
import type { FlowRunRow } from './flow-runs.ts';
import { type StateRow, type StateType, stateTypeSchema } from './states.ts';
import type { TaskRunRow } from './task-runs.ts';

/** Prefect's `PREFECT_API_MAX_FLOW_RUN_GRAPH_ARTIFACTS` default (its node limit is `--graph-max-nodes`). */
export const GRAPH_MAX_ARTIFACTS = 10_000;

export interface GraphInput {
  run: FlowRunRow;
  taskRuns: TaskRunRow[];
  /** Subflow runs of the flow run, with their flow's name. */
  subflows: { run: FlowRunRow; flowName: string }[];
  states: StateRow[];
  /** The run's artifacts (not `result` ones), oldest first, with whether each is its key's latest. */
  artifacts: { artifact: ArtifactRow; isLatest: boolean }[];
  since: Micros;
  maxNodes: number;
}

interface Node {
  kind: 'flow-run' | 'task-run';
  id: string;
  label: string;
  state_type: StateType | null;
  start: Micros;
  end: Micros | null;
  parents: string[];
  children: string[];
  encapsulating: string[];
  taskRunId: string;
}

const graphArtifactSchema = object({
  id: uuid(),
  created: datetime(),
  key: orNull(str()),
  type: orNull(str()),
  is_latest: bool(),
  data: any(),
});
const edgesSchema = array(object({ id: uuid() }));

/** `Graph`, as `buildGraph` writes it: nodes are `[id, node]` pairs. */
export const graphSchema = named(
  'Graph',
  object({
    start_time: orNull(datetime()),
    end_time: orNull(datetime()),
    root_node_ids: array(uuid()),
    nodes: array(
      tuple(
        uuid(),
        object({
          kind: literal(['flow-run', 'task-run']),
          id: uuid(),
          label: str(),
          state_type: orNull(stateTypeSchema),
          start_time: datetime(),
          end_time: orNull(datetime()),
          parents: edgesSchema,
          children: edgesSchema,
          encapsulating: edgesSchema,
          artifacts: array(graphArtifactSchema),
        }),
      ),
    ),
    artifacts: array(graphArtifactSchema),
    states: array(object({ id: uuid(), timestamp: datetime(), type: stateTypeSchema, name: str() })),
  }),
);

/** Too many nodes: Prefect answers 400 with this sentence. */
export class GraphTooLarge extends Error {}

function renderArtifact(a: { artifact: ArtifactRow; isLatest: boolean }) {
  return {
    id: a.artifact.id,
    created: formatMicros(a.artifact.created),
    key: a.artifact.key,
    type: a.artifact.type,
    is_latest: a.isLatest,
    // Prefect sends data for progress artifacts only.
    data: a.artifact.type === 'progress' ? a.artifact.data : null,
  };
}

export function buildGraph(g: GraphInput): Record<string, unknown> {
  const subflowOf = new Map(g.subflows.map((s) => [s.run.parent_task_run_id, s]));
  const nodes = new Map<string, Node>();
  const nodeOfTask = new Map<string, Node>();
  for (const t of g.taskRuns) {
    const sub = subflowOf.get(t.id);
    const start = sub?.run.start_time ?? sub?.run.expected_start_time ?? t.start_time ?? t.expected_start_time;
    if (start === null || start === undefined) continue;
    const node: Node = {
      kind: sub ? 'flow-run' : 'task-run',
      id: sub ? sub.run.id : t.id,
      label: sub ? `${sub.flowName} / ${sub.run.name}` : t.name,
      state_type: sub ? sub.run.state_type : t.state_type,
      start,
      end: sub?.run.end_time ?? t.end_time ?? (t.state_type === 'COMPLETED' ? t.expected_start_time : null),
      parents: [],
      children: [],
      encapsulating: [],
      taskRunId: t.id,
    };
    nodes.set(node.id, node);
    nodeOfTask.set(t.id, node);
  }
  // Edges: an input naming another node of this run (by its node id, as Prefect joins them).
  for (const t of g.taskRuns) {
    const child = nodeOfTask.get(t.id);
    if (!child) continue;
    for (const [key, inputs] of Object.entries(t.task_inputs)) {
      for (const input of inputs) {
        if (!('id' in input)) continue;
        const parent = nodes.get(input.id);
        if (!parent) continue;
        if (key === '__parents__') {
          if (!child.encapsulating.includes(parent.id)) child.encapsulating.push(parent.id);
        } else {
          if (!child.parents.includes(parent.id)) child.parents.push(parent.id);
          if (!parent.children.includes(child.id)) parent.children.push(child.id);
        }
      }
    }
  }
  const byStart = (ids: string[]) => ids.sort((a, b) => nodes.get(a)!.start - nodes.get(b)!.start);
  const shown = [...nodes.values()]
    .filter((n) => n.end === null || n.end >= g.since)
    .sort((a, b) => a.start - b.start || (a.end ?? Number.MAX_SAFE_INTEGER) - (b.end ?? Number.MAX_SAFE_INTEGER));
  if (shown.length > g.maxNodes)
    throw new GraphTooLarge(`The graph of flow run ${g.run.id} has more than ${g.maxNodes} nodes.`);
  const byTask = new Map<string | null, ReturnType<typeof renderArtifact>[]>();
  for (const a of g.artifacts) {
    const k = a.artifact.task_run_id;
    byTask.set(k, [...(byTask.get(k) ?? []), renderArtifact(a)]);
  }
  const edges = (ids: string[]) => byStart(ids).map((id) => ({ id }));
  return {
    start_time: formatNullable(g.run.start_time ?? g.run.expected_start_time),
    end_time: formatNullable(g.run.end_time),
    root_node_ids: shown.filter((n) => n.parents.length === 0).map((n) => n.id),
    nodes: shown.map((n) => [
      n.id,
      {
        kind: n.kind,
        id: n.id,
        label: n.label,
        state_type: n.state_type,
        start_time: formatMicros(n.start),
        end_time: formatNullable(n.end),
        parents: edges(n.parents),
        children: edges(n.children),
        encapsulating: edges(n.encapsulating),
        artifacts: byTask.get(n.taskRunId) ?? [],
      },
    ]),
    artifacts: byTask.get(null) ?? [],
    states: g.states.map((s) => ({ id: s.id, timestamp: formatMicros(s.timestamp), type: s.type, name: s.name })),
  };
}
