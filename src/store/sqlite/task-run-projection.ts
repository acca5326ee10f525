/**
 * The task-run recorder as a SQLite event projection: runs inside every event append transaction
 * (both ingest paths), on the newly inserted events only, so task runs commit or roll back with
 * the events they come from. Account-scope events carry no task runs.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { taskRunRecordsByWorkspace } from '../shared/task-run-records.ts';
import type { SqliteEventProjection, SqliteEventTx } from './events.ts';
import type { SqliteTaskRuns } from './task-runs.ts';

export function taskRunRecorderProjection(taskRuns: SqliteTaskRuns): SqliteEventProjection {
  return {
    name: 'task-run-recorder',
    apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
      const byWorkspace = taskRunRecordsByWorkspace(inserted, (e) => tx.ws(e));
      for (const [ws, records] of byWorkspace) taskRuns.recordInTx(ws, records);
    },
  };
}
