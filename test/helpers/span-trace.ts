/**
 * A generated trace for span tests: a root flow run with thousands of task runs, subflows (through
 * tracking task runs) with their own tasks, artifacts, mixed states and tags. Task runs go through
 * the task-run recorder (`TaskRunStore.record`), as client events do; a few subflows arrive after
 * their tasks and one before its tracking task, so the trace is built with late parents.
 */
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import { normalizeFlowRunPolicy, normalizeTaskRunPolicy } from '../../src/domain/runs/policies.ts';
import { makeState, type StateRow, type StateType } from '../../src/domain/runs/states.ts';
import type { TaskRunEventRecord } from '../../src/domain/runs/task-run-recorder.ts';
import type { Store } from '../../src/store/contract.ts';

export const GEN_T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
const SEC = 1_000_000;

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FINAL: { type: StateType; name: string; weight: number }[] = [
  { type: 'COMPLETED', name: 'Completed', weight: 60 },
  { type: 'FAILED', name: 'Failed', weight: 10 },
  { type: 'RUNNING', name: 'Running', weight: 8 },
  { type: 'RUNNING', name: 'Retrying', weight: 4 },
  { type: 'PENDING', name: 'Pending', weight: 6 },
  { type: 'SCHEDULED', name: 'AwaitingRetry', weight: 4 },
  { type: 'CANCELLED', name: 'Cancelled', weight: 4 },
  { type: 'CRASHED', name: 'Crashed', weight: 4 },
];
export const TAG_POOL = ['etl', 'io', 'gpu', 'slow', 'prod', 'check', 'batch-1', 'batch-2', 'Nightly'];
const WORDS = ['extract', 'transform', 'load', 'validate', 'enrich', 'publish', 'score', 'dedupe'];

export interface GeneratedTrace {
  rootId: string;
  subflowIds: string[];
  trackingIds: string[];
  /** Every span id, by kind. */
  taskIds: string[];
  artifactIds: string[];
  total: number;
}

export interface GenerateOptions {
  spans?: number;
  subflows?: number;
  tasksPerSubflow?: number;
  artifacts?: number;
  seed?: number;
  /** Records per recorder transaction. */
  batch?: number;
}

function pick<T extends { weight: number }>(r: () => number, items: T[]): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let x = r() * total;
  for (const i of items) {
    x -= i.weight;
    if (x < 0) return i;
  }
  return items[items.length - 1];
}

function state(
  type: StateType,
  name: string,
  at: number,
  flowRunId: string | null,
  taskRunId: string | null,
  id = uuid7(),
): StateRow {
  return {
    ...makeState(type, { name, details: { flow_run_id: flowRunId, task_run_id: taskRunId } }),
    id,
    timestamp: at,
  };
}

/** A recorder record of a task run in its final state, with plausible times. */
function taskRecord(r: () => number, id: string, flowRunId: string, i: number, base: number): TaskRunEventRecord {
  const final = pick(r, FINAL);
  const word = WORDS[i % WORDS.length];
  const tags = TAG_POOL.filter(() => r() < 0.18);
  const start = final.type === 'PENDING' ? null : base + Math.floor(r() * 3600 * SEC);
  const ran = start === null ? 0 : Math.floor(r() * 30 * SEC);
  const ended =
    final.type === 'COMPLETED' || final.type === 'FAILED' || final.type === 'CANCELLED' || final.type === 'CRASHED';
  const at = (start ?? base) + ran + 1;
  return {
    taskRunId: id,
    flowRunId,
    taskRun: {
      name: `${word}-${i.toString(36)}`,
      task_key: `${word}-${flowRunId.slice(0, 8)}`,
      dynamic_key: String(i),
      cache_key: null,
      cache_expiration: null,
      task_version: null,
      empirical_policy: normalizeTaskRunPolicy(undefined),
      tags,
      labels: r() < 0.1 ? { team: r() < 0.5 ? 'data' : 'ml' } : {},
      task_inputs: {},
      run_count: start === null ? 0 : 1 + (final.name === 'Retrying' ? 1 : 0),
      flow_run_run_count: 1,
      expected_start_time: base,
      next_scheduled_start_time: null,
      start_time: start,
      end_time: ended ? at : null,
      total_run_time: ended ? ran : 0,
    },
    state: state(final.type, final.name, at, flowRunId, id),
  };
}

async function createFlowRun(
  store: Store,
  ws: string,
  flowId: string,
  name: string,
  parentTaskRunId: string | null,
  tags: string[],
  at: number,
) {
  const id = uuid4();
  await store.flowRuns.create(
    ws,
    {
      id,
      created: at,
      updated: at,
      name,
      flow_id: flowId,
      deployment_id: null,
      deployment_version: null,
      work_queue_id: null,
      work_queue_name: null,
      flow_version: null,
      parameters: { n: 5, label: 'x' },
      idempotency_key: null,
      context: {},
      empirical_policy: normalizeFlowRunPolicy(undefined),
      tags,
      labels: {},
      parent_task_run_id: parentTaskRunId,
      auto_scheduled: false,
      infrastructure_document_id: null,
      infrastructure_pid: null,
      created_by: null,
      work_pool_id: null,
      work_pool_name: null,
      job_variables: {},
      retry_of: null,
    },
    state('PENDING', 'Pending', at, id, null),
  );
  const run = (await store.flowRuns.get(ws, id))!;
  const w = await store.flowRuns.writeState(ws, id, {
    expectedStateId: run.state_id,
    state: state('RUNNING', 'Running', at + SEC, id, null),
  });
  if (w.outcome !== 'written') throw new Error('flow run did not start');
  return id;
}

async function finishFlowRun(store: Store, ws: string, id: string, type: StateType, name: string, at: number) {
  const run = (await store.flowRuns.get(ws, id))!;
  const w = await store.flowRuns.writeState(ws, id, {
    expectedStateId: run.state_id,
    state: state(type, name, at, id, null),
  });
  if (w.outcome !== 'written') throw new Error('flow run did not finish');
}

async function recordAll(store: Store, ws: string, records: TaskRunEventRecord[], batch: number) {
  for (let i = 0; i < records.length; i += batch) await store.taskRuns.record(ws, records.slice(i, i + batch));
}

export async function generateTrace(store: Store, ws: string, opts: GenerateOptions = {}): Promise<GeneratedTrace> {
  const r = prng(opts.seed ?? 42);
  const total = opts.spans ?? 10_000;
  const subflows = opts.subflows ?? 20;
  const perSub = opts.tasksPerSubflow ?? 100;
  const artifacts = opts.artifacts ?? 500;
  const batch = opts.batch ?? 500;
  const rootTasks = total - 1 - 2 * subflows - subflows * perSub - artifacts;
  if (rootTasks < artifacts) throw new Error('too few spans for that shape');

  const flow = (
    await store.flows.upsert(ws, {
      id: uuid7(),
      created: GEN_T0,
      updated: GEN_T0,
      name: `gen-${uuid4()}`,
      tags: [],
      labels: {},
    })
  ).flow;
  const rootId = await createFlowRun(store, ws, flow.id, 'generated-root', null, ['etl', 'prod'], GEN_T0);

  const taskIds: string[] = [];
  const rootRecords: TaskRunEventRecord[] = [];
  for (let i = 0; i < rootTasks; i++) {
    const id = uuid7();
    taskIds.push(id);
    rootRecords.push(taskRecord(r, id, rootId, i, GEN_T0 + 2 * SEC));
  }
  await recordAll(store, ws, rootRecords, batch);

  const subflowIds: string[] = [];
  const trackingIds: string[] = [];
  for (let s = 0; s < subflows; s++) {
    const trackingId = uuid7();
    trackingIds.push(trackingId);
    const at = GEN_T0 + (100 + s * 60) * SEC;
    const subRecords = (subflowId: string) =>
      Array.from({ length: perSub }, (_, i) => {
        const id = uuid7();
        taskIds.push(id);
        return taskRecord(r, id, subflowId, i, at + 2 * SEC);
      });
    const mkTracking = () =>
      store.taskRuns.create(
        ws,
        {
          id: trackingId,
          created: at,
          updated: at,
          name: `subflow-${s}-0`,
          flow_run_id: rootId,
          task_key: `subflow-${s}`,
          dynamic_key: '0',
          cache_key: null,
          cache_expiration: null,
          task_version: null,
          empirical_policy: normalizeTaskRunPolicy(undefined),
          tags: [],
          labels: {},
          task_inputs: {},
          flow_run_run_count: 0,
        },
        state('PENDING', 'Pending', at, rootId, trackingId),
      );
    let subId: string;
    if (s % 10 === 1) {
      // The subflow's tasks arrive first; the subflow run is created afterwards.
      const pending = uuid4();
      await mkTracking();
      const recs = subRecords(pending);
      await recordAll(store, ws, recs, batch);
      subId = await createFlowRunWithId(store, ws, flow.id, pending, `sub-${s}`, trackingId, at);
    } else if (s % 10 === 2) {
      // The subflow arrives before its tracking task run.
      subId = await createFlowRun(store, ws, flow.id, `sub-${s}`, trackingId, ['etl'], at);
      await mkTracking();
      await recordAll(store, ws, subRecords(subId), batch);
    } else {
      await mkTracking();
      subId = await createFlowRun(store, ws, flow.id, `sub-${s}`, trackingId, ['etl'], at);
      await recordAll(store, ws, subRecords(subId), batch);
    }
    subflowIds.push(subId);
    const failed = s % 4 === 0;
    await finishFlowRun(
      store,
      ws,
      subId,
      failed ? 'FAILED' : 'COMPLETED',
      failed ? 'Failed' : 'Completed',
      at + 50 * SEC,
    );
  }

  const artifactIds: string[] = [];
  for (let i = 0; i < artifacts; i++) {
    const id = uuid7();
    artifactIds.push(id);
    const parent = taskIds[Math.floor(r() * rootTasks)];
    await store.artifacts.create(ws, {
      id,
      created: GEN_T0 + Math.floor(r() * 3600 * SEC),
      updated: GEN_T0,
      key: i % 3 === 0 ? `report-${i}` : null,
      type: i % 2 === 0 ? 'markdown' : 'table',
      description: i % 5 === 0 ? `Quality report ${i}` : null,
      data: null,
      metadata_: null,
      flow_run_id: rootId,
      task_run_id: parent,
    });
  }
  await finishFlowRun(store, ws, rootId, 'FAILED', 'Failed', GEN_T0 + 7200 * SEC);
  return { rootId, subflowIds, trackingIds, taskIds, artifactIds, total };
}

/** Like `createFlowRun`, with a chosen id (for a subflow whose tasks arrived first). */
async function createFlowRunWithId(
  store: Store,
  ws: string,
  flowId: string,
  id: string,
  name: string,
  parent: string,
  at: number,
) {
  await store.flowRuns.create(
    ws,
    {
      id,
      created: at,
      updated: at,
      name,
      flow_id: flowId,
      deployment_id: null,
      deployment_version: null,
      work_queue_id: null,
      work_queue_name: null,
      flow_version: null,
      parameters: {},
      idempotency_key: null,
      context: {},
      empirical_policy: normalizeFlowRunPolicy(undefined),
      tags: ['etl', 'late'],
      labels: {},
      parent_task_run_id: parent,
      auto_scheduled: false,
      infrastructure_document_id: null,
      infrastructure_pid: null,
      created_by: null,
      work_pool_id: null,
      work_pool_name: null,
      job_variables: {},
      retry_of: null,
    },
    state('RUNNING', 'Running', at + SEC, id, parent),
  );
  return id;
}
