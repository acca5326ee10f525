/**
 * `GET /flow_runs/{id}/graph-v2`: reads the run, its task runs, its subflow runs, its states and
 * artifacts (each one indexed read of this run's children, never the workspace), then builds the
 * graph (`domain/runs/graph.ts`).
 */
import { AppError, notFound } from '../../domain/errors.ts';
import { buildGraph, GRAPH_MAX_ARTIFACTS, GraphTooLarge } from '../../domain/runs/graph.ts';
import { type Micros, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';

export async function flowRunGraph(ctx: OpContext, id: string, since: Micros): Promise<Record<string, unknown>> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const run = await store.flowRuns.get(ws, id);
  if (!run) throw notFound('Flow run');
  const now = nowMicros();
  const maxNodes = ctx.services.config['graph-max-nodes'];
  const taskRuns = await store.taskRuns.filter(ws, {
    filters: { task_runs: { operator: 'and_', flow_run_id: { operator: 'and_', any_: [id], is_null_: false } } },
    sort: 'EXPECTED_START_TIME_ASC',
    // One over the limit tells a graph that is too large.
    limit: maxNodes + 1,
    offset: 0,
    now,
  });
  const subRuns = await store.flowRuns.filter(ws, {
    filters: { flow_runs: { operator: 'and_', parent_flow_run_id: { operator: 'and_', any_: [id] } } },
    sort: 'ID_DESC',
    limit: maxNodes + 1,
    offset: 0,
    now,
  });
  const flowNames = new Map<string, string>();
  for (const r of subRuns)
    if (!flowNames.has(r.flow_id)) flowNames.set(r.flow_id, (await store.flows.get(ws, r.flow_id))?.name ?? '');
  const artifacts = (
    await store.artifacts.filter(ws, {
      filters: { artifacts: { operator: 'and_', flow_run_id: { any_: [id] }, type: { not_any_: ['result'] } } },
      sort: 'ID_DESC',
      limit: GRAPH_MAX_ARTIFACTS,
      offset: 0,
      now,
    })
  ).sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  // A keyed artifact is drawn as the latest of its key when no newer one with that key exists.
  const keys = [...new Set(artifacts.flatMap((a) => (a.key ? [a.key] : [])))];
  const latest = new Map<string, string>();
  if (keys.length) {
    const newest = await store.artifacts.filter(ws, {
      filters: { artifacts: { operator: 'and_', key: { any_: keys } } },
      sort: 'CREATED_DESC',
      limit: GRAPH_MAX_ARTIFACTS,
      offset: 0,
      now,
    });
    for (const a of newest) if (a.key && !latest.has(a.key)) latest.set(a.key, a.id);
  }
  try {
    return buildGraph({
      run,
      taskRuns,
      subflows: subRuns.map((r) => ({ run: r, flowName: flowNames.get(r.flow_id) ?? '' })),
      states: await store.flowRuns.states(ws, id),
      artifacts: artifacts.map((a) => ({ artifact: a, isLatest: a.key === null || latest.get(a.key) === a.id })),
      since,
      maxNodes,
    });
  } catch (err) {
    if (err instanceof GraphTooLarge) throw new AppError('bad_request', err.message);
    throw err;
  }
}
