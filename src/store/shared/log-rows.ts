/** An appended log as it is stored and returned, for every engine. */
import type { LogRow, NewLog } from '../../domain/logs.ts';

/** The log's row at position `seq` (without its workspace, which the row's table key holds). */
export function logRow(seq: number, l: NewLog): LogRow {
  return {
    seq,
    id: l.id,
    created: l.created,
    name: l.name,
    level: l.level,
    message: l.message,
    timestamp: l.timestamp,
    flow_run_id: l.flow_run_id,
    task_run_id: l.task_run_id,
    worker_id: l.worker_id,
  };
}
