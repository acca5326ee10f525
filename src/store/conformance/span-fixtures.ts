/** A small trace for the span conformance suite: root → tasks, tracking task → subflow → task, artifacts. */
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import type { StateType } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import type { StateWrite, StateWriteResult, Store } from '../contract.ts';
import { artifact, flow, flowRun, SEC, state, T0, taskRun } from './run-fixtures.ts';

export interface SmallTrace {
  root: FlowRunRow;
  extract: TaskRunRow;
  validate: TaskRunRow;
  tracking: TaskRunRow;
  sub: FlowRunRow;
  subTask: TaskRunRow;
  artifactId: string;
}

/** The reads and state writes `moveRun` needs: a store's flow runs or task runs. */
interface RunStates<R> {
  get(ws: string, id: string): Promise<R | undefined>;
  writeState(ws: string, id: string, write: StateWrite): Promise<StateWriteResult<R>>;
}

/** Moves a run through `types`, one second apart from `at`; `owner` puts the run's id in the state details. */
async function moveRun<R extends { state_id: string | null }>(
  runs: RunStates<R>,
  ws: string,
  id: string,
  types: StateType[],
  at: number,
  owner: { runId: string } | { taskRunId: string },
): Promise<R> {
  let run = (await runs.get(ws, id))!;
  for (const [i, t] of types.entries()) {
    const w = await runs.writeState(ws, id, {
      expectedStateId: run.state_id,
      state: state(t, at + i * SEC, owner),
    });
    if (w.outcome !== 'written') throw new Error(`state write ${t} on ${id}: ${w.outcome}`);
    run = w.run;
  }
  return run;
}

export function moveFlowRun(store: Store, ws: string, id: string, types: StateType[], at: number): Promise<FlowRunRow> {
  return moveRun(store.flowRuns, ws, id, types, at, { runId: id });
}

export function moveTaskRun(store: Store, ws: string, id: string, types: StateType[], at: number): Promise<TaskRunRow> {
  return moveRun(store.taskRuns, ws, id, types, at, { taskRunId: id });
}

/**
 * root (RUNNING, tags etl/prod, parameters n:int s:str)
 *   ├ extract (COMPLETED, tag io)  └ artifact "rows"
 *   ├ validate (FAILED, tag io, check)
 *   └ tracking task → sub (FAILED, tag etl) → subTask (FAILED, tag check)
 */
export async function smallTrace(store: Store, ws: string): Promise<SmallTrace> {
  const f = (await store.flows.upsert(ws, flow('etl'))).flow;
  const rootNew = flowRun(f.id, {
    name: 'agile-chital',
    tags: ['etl', 'prod'],
    parameters: { n: 5, s: 'x' },
    labels: { team: 'data' },
  });
  await store.flowRuns.create(ws, rootNew, state('PENDING', T0, { runId: rootNew.id }));
  const root0 = await moveFlowRun(store, ws, rootNew.id, ['RUNNING'], T0 + SEC);

  const mkTask = async (key: string, tags: string[], types: StateType[], at: number) => {
    const t = taskRun(root0.id, key, { name: `${key}-abc`, tags });
    await store.taskRuns.create(ws, t, state('PENDING', at, { taskRunId: t.id }));
    return moveTaskRun(store, ws, t.id, types, at + SEC);
  };
  const extract = await mkTask('extract', ['io'], ['RUNNING', 'COMPLETED'], T0 + 2 * SEC);
  const validate = await mkTask('validate', ['io', 'check'], ['RUNNING', 'FAILED'], T0 + 5 * SEC);
  const a = artifact({
    key: 'rows',
    type: 'table',
    description: 'Row counts',
    task_run_id: extract.id,
    flow_run_id: root0.id,
    created: T0 + 4 * SEC,
  });
  await store.artifacts.create(ws, a);

  const trackingNew = taskRun(root0.id, 'etl_subflow', { name: 'etl-subflow-0', dynamic_key: '0' });
  await store.taskRuns.create(ws, trackingNew, state('PENDING', T0 + 8 * SEC, { taskRunId: trackingNew.id }));
  const sf = (await store.flows.upsert(ws, flow('etl-sub'))).flow;
  const subNew = flowRun(sf.id, { name: 'proficient-clam', tags: ['etl'], parent_task_run_id: trackingNew.id });
  await store.flowRuns.create(ws, subNew, state('PENDING', T0 + 9 * SEC, { runId: subNew.id }));
  await moveFlowRun(store, ws, subNew.id, ['RUNNING'], T0 + 10 * SEC);
  const st = taskRun(subNew.id, 'load', { name: 'load-abc', tags: ['check'] });
  await store.taskRuns.create(ws, st, state('PENDING', T0 + 11 * SEC, { taskRunId: st.id }));
  const subTask = await moveTaskRun(store, ws, st.id, ['RUNNING', 'FAILED'], T0 + 12 * SEC);
  const sub = await moveFlowRun(store, ws, subNew.id, ['FAILED'], T0 + 15 * SEC);
  const root = (await store.flowRuns.get(ws, root0.id))!;
  const tracking = (await store.taskRuns.get(ws, trackingNew.id))!;
  return { root, extract, validate, tracking, sub, subTask, artifactId: a.id };
}
