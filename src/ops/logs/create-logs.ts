/** The receiver of `POST /logs/`: stamps a batch for `workspaceId`; resolves once the writer committed it. */
import { uuid7 } from '../../domain/ids.ts';
import type { LogCreate, NewLog } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Writer } from '../../ingest/writer.ts';

export function receiveLogs(writer: Writer<NewLog>, workspaceId: string, batch: LogCreate[]): Promise<void> {
  const created = nowMicros();
  const rows: NewLog[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const l = batch[i];
    rows[i] = {
      workspaceId,
      id: uuid7(),
      created,
      name: l.name,
      level: l.level,
      message: l.message,
      timestamp: l.timestamp,
      flow_run_id: l.flow_run_id ?? null,
      task_run_id: l.task_run_id ?? null,
      worker_id: l.worker_id ?? null,
    };
  }
  return writer.add(rows);
}
