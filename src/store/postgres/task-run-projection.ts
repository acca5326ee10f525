/**
 * The task-run recorder as a PostgreSQL event projection: runs inside every event append
 * transaction (both ingest paths), on the newly inserted events only, so task runs commit or roll
 * back with the events they come from. Account-scope events carry no task runs.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { taskRunRecordsByWorkspace } from '../shared/task-run-records.ts';
import type { PgEventProjection, PgEventTx } from './events.ts';
import type { PgTaskRuns } from './task-runs.ts';

export function taskRunRecorderProjection(taskRuns: PgTaskRuns): PgEventProjection {
  return {
    name: 'task-run-recorder',
    async apply(tx: PgEventTx, inserted: StoredEvent[]) {
      const byWorkspace = taskRunRecordsByWorkspace(inserted, (e) => tx.ws(e));
      for (const [ws, records] of byWorkspace) await taskRuns.recordInTx(tx.c, ws, records);
    },
  };
}
