/** The task-run recorder's input from an event batch, for every engine's recorder projection. */
import type { StoredEvent } from '../../domain/events.ts';
import { type TaskRunEventRecord, taskRunRecordFromEvent } from '../../domain/runs/task-run-recorder.ts';

/** The newly inserted events that record a task run, by workspace key (account-scope events carry none). */
export function taskRunRecordsByWorkspace(
  inserted: StoredEvent[],
  wsOf: (e: StoredEvent) => number,
): Map<number, TaskRunEventRecord[]> {
  const byWorkspace = new Map<number, TaskRunEventRecord[]>();
  for (const e of inserted) {
    if (e.workspaceId === null) continue;
    const r = taskRunRecordFromEvent(e);
    if (!r) continue;
    const ws = wsOf(e);
    const list = byWorkspace.get(ws);
    if (list) list.push(r);
    else byWorkspace.set(ws, [r]);
  }
  return byWorkspace;
}
