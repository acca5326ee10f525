/**
 * The logs writer: group commit over `store.logs.append`, then one change-feed notice per
 * workspace so live subscribers (of every instance) read the new rows. The twin of
 * `event-writer.ts`.
 */
import type { NewLog } from '../domain/logs.ts';
import type { Store } from '../store/contract.ts';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';

export function createLogWriter(store: Store, opts: Pick<GroupCommitOptions, 'onCommit'> = {}): GroupCommit<NewLog> {
  return new GroupCommit<NewLog>(
    async (logs) => {
      const rows = await store.logs.append(logs);
      const maxSeq = new Map<string, number>();
      for (let i = 0; i < rows.length; i++) {
        const ws = logs[i].workspaceId;
        if ((maxSeq.get(ws) ?? 0) < rows[i].seq) maxSeq.set(ws, rows[i].seq);
      }
      for (const [workspaceId, seq] of maxSeq) await store.changes.notify({ workspaceId, stream: 'logs', maxSeq: seq });
    },
    { concurrency: store.writeConcurrency, ...opts },
  );
}
