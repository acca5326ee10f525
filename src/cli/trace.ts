/**
 * `sightline trace FLOW_RUN_ID`: the run tree of a flow run — the flow run, its task runs in
 * start order, and under each subflow's tracking task run the subflow's own tree — one line per
 * run with state, duration and tags (coloured on a terminal), or `--json` for machines.
 */
import { FLAGS_ONLY, loadOptions } from '../config/load.ts';
import type { OptionSpec, OptionsOf } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import { normalizeUuid } from '../domain/ids.ts';
import { API_KEY_OPTION, apiOption, resolveApiKey, resolveApiUrl } from './api-client.ts';
import { formatDuration, type Json, paintState, RunApi } from './run-client.ts';
import { useColour } from './style.ts';

export const traceOptions = {
  api: apiOption,
  'api-key': API_KEY_OPTION,
  json: { type: 'bool', help: 'Print the tree as one JSON document.', default: false },
} as const satisfies Record<string, OptionSpec>;

/** Bounds: a trace reads at most this many task runs per flow run and this many levels of subflows. */
const MAX_TASKS_PER_RUN = 10_000;
const MAX_DEPTH = 20;

export interface TraceNode {
  kind: 'flow_run' | 'task_run';
  id: string;
  name: string;
  flow_name?: string;
  state_type: string | null;
  state_name: string | null;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number;
  run_count: number;
  tags: string[];
  children: TraceNode[];
}

async function flowRunNode(api: RunApi, run: Json, depth: number, flowNames: Map<string, string>): Promise<TraceNode> {
  let flowName = flowNames.get(run.flow_id);
  if (flowName === undefined) {
    flowName = ((await api.call('GET', `/flows/${run.flow_id}`)) as Json).name as string;
    flowNames.set(run.flow_id, flowName);
  }
  const node: TraceNode = { ...common(run), kind: 'flow_run', flow_name: flowName, children: [] };
  if (depth >= MAX_DEPTH) return node;
  const [tasks, subflows] = await Promise.all([
    api.all(
      '/task_runs/filter',
      { task_runs: { flow_run_id: { any_: [run.id] } }, sort: 'EXPECTED_START_TIME_ASC' },
      MAX_TASKS_PER_RUN,
    ),
    api.all(
      '/flow_runs/filter',
      { flow_runs: { parent_flow_run_id: { any_: [run.id] } }, sort: 'EXPECTED_START_TIME_ASC' },
      MAX_TASKS_PER_RUN,
    ),
  ]);
  const byParent = new Map<string, Json[]>();
  for (const s of subflows) {
    const list = byParent.get(s.parent_task_run_id) ?? [];
    list.push(s);
    byParent.set(s.parent_task_run_id, list);
  }
  for (const t of tasks) {
    const child: TraceNode = { ...common(t), kind: 'task_run', children: [] };
    for (const s of byParent.get(t.id) ?? []) child.children.push(await flowRunNode(api, s, depth + 1, flowNames));
    node.children.push(child);
  }
  return node;
}

function common(r: Json): Omit<TraceNode, 'kind' | 'children'> {
  return {
    id: r.id,
    name: r.name,
    state_type: r.state_type ?? null,
    state_name: r.state_name ?? null,
    start_time: r.start_time ?? null,
    end_time: r.end_time ?? null,
    duration_seconds: r.estimated_run_time ?? r.total_run_time ?? 0,
    run_count: r.run_count ?? 0,
    tags: r.tags ?? [],
  };
}

export async function buildTrace(api: RunApi, flowRunId: string): Promise<TraceNode> {
  const run = await api.call('GET', `/flow_runs/${flowRunId}`);
  return flowRunNode(api, run, 0, new Map());
}

/** One line per run, indented with tree guides. */
export function renderTrace(root: TraceNode, color: boolean): string {
  const lines: string[] = [];
  const walk = (n: TraceNode, prefix: string, branch: string) => {
    const label = n.kind === 'flow_run' ? `flow ${n.flow_name} / ${n.name}` : `task ${n.name}`;
    const state = paintState(n.state_name ?? '-', n.state_type, color);
    const runs = n.run_count > 1 ? `  (${n.run_count} runs)` : '';
    const tags = n.tags.length ? `  [${n.tags.join(', ')}]` : '';
    lines.push(`${prefix}${branch}${label}  ${state}  ${formatDuration(n.duration_seconds)}${runs}${tags}`);
    const childPrefix = prefix + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    for (let i = 0; i < n.children.length; i++)
      walk(n.children[i], childPrefix, i === n.children.length - 1 ? '└─ ' : '├─ ');
  };
  walk(root, '', '');
  return `${lines.join('\n')}\n`;
}

export async function trace(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o, positionals } = loadOptions<OptionsOf<typeof traceOptions>>(traceOptions, argv, FLAGS_ONLY, {
    args: ['FLOW_RUN_ID'],
    about: 'Prints the run tree of a flow run: the flow run, its task runs, and the subflows they started.',
  });
  const id = normalizeUuid(positionals[0]);
  if (!id) throw new AppError('invalid_input', `'${positionals[0]}' is not a flow run id (a UUID)`);
  const api = new RunApi(resolveApiUrl(o.api, env), resolveApiKey(o['api-key'], env));
  const tree = await buildTrace(api, id);
  process.stdout.write(
    o.json ? `${JSON.stringify(tree, null, 2)}\n` : renderTrace(tree, useColour(process.stdout, env)),
  );
}
