/**
 * The task-run recorder's plan for a batch of records, for every engine: given the stored task
 * runs the batch touches (by id or by key), which runs to insert, which to rewrite and which states
 * to add — at most one row write per run, however many of its events the batch holds. The plan
 * is what applying the records one by one would leave: a record lands on the run with its id,
 * else on the run with its (flow run, task key, dynamic key); a run takes the fields of its
 * newest state (a tie keeps the earlier), so re-sends and reordering converge.
 */
import type { RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import { recordedRow, type TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun } from '../../domain/runs/task-runs.ts';

/** What the plan needs of a stored task run. */
export interface StoredTaskRunKey {
  id: string;
  flow_run_id: string | null;
  task_key: string;
  dynamic_key: string;
  state_timestamp: number | null;
}

export interface RecordedWrite {
  run: NewTaskRun;
  timing: RunTiming;
}

export interface RecorderPlan {
  /** Runs no stored row matches, each with the fields of its newest state in the batch. */
  inserts: RecordedWrite[];
  /** Stored runs the batch holds a newer state for (write only where the stored state is still older). */
  updates: RecordedWrite[];
  /** Every record's state, on the run it landed on, in batch order. */
  states: { runId: string; state: StateRow }[];
}

/** The key a record or row is found by besides its id; none without a flow run (as the unique index has it). */
export function taskRunKey(flowRunId: string | null, taskKey: string, dynamicKey: string): string | undefined {
  return flowRunId === null ? undefined : `${flowRunId}\u0000${taskKey}\u0000${dynamicKey}`;
}

interface Entry {
  id: string;
  stored: boolean;
  timestamp: number | null;
  /** The record whose fields the run ends up with, when the batch changes it. */
  newest?: TaskRunEventRecord;
}

export function planRecording(records: TaskRunEventRecord[], stored: StoredTaskRunKey[], now: number): RecorderPlan {
  const byId = new Map<string, Entry>();
  const byKey = new Map<string, Entry>();
  const add = (e: Entry, key: string | undefined) => {
    byId.set(e.id, e);
    if (key !== undefined && !byKey.has(key)) byKey.set(key, e);
  };
  for (const s of stored)
    add({ id: s.id, stored: true, timestamp: s.state_timestamp }, taskRunKey(s.flow_run_id, s.task_key, s.dynamic_key));

  const states: RecorderPlan['states'] = [];
  for (const rec of records) {
    const key = taskRunKey(rec.flowRunId, rec.taskRun.task_key, rec.taskRun.dynamic_key);
    let e = byId.get(rec.taskRunId) ?? (key === undefined ? undefined : byKey.get(key));
    if (!e) {
      e = { id: rec.taskRunId, stored: false, timestamp: rec.state.timestamp, newest: rec };
      add(e, key);
    } else if (e.timestamp === null || rec.state.timestamp > e.timestamp) {
      e.timestamp = rec.state.timestamp;
      e.newest = rec;
    }
    states.push({
      runId: e.id,
      state: { ...rec.state, state_details: { ...rec.state.state_details, task_run_id: e.id } },
    });
  }

  const inserts: RecordedWrite[] = [];
  const updates: RecordedWrite[] = [];
  // In id order: concurrent transactions lock the rows they share in the same order.
  for (const e of [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (e.newest) (e.stored ? updates : inserts).push(recordedRow(e.newest, e.id, now));
  }
  return { inserts, updates, states };
}
