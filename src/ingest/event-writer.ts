/**
 * The events writer: group commit over `store.events.append`, then one change-feed notice per
 * workspace (and per account for account-scope events) so live subscribers read the new rows.
 */
import type { NewEvent } from '../domain/events.ts';
import type { Store } from '../store/contract.ts';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';

export function createEventWriter(
  store: Store,
  opts: Pick<GroupCommitOptions, 'onCommit'> = {},
): GroupCommit<NewEvent> {
  return new GroupCommit<NewEvent>(async (events) => {
    const { inserted } = await store.events.append(events);
    const maxSeq = new Map<string, { workspaceId: string | null; accountId: string; seq: number }>();
    for (const e of inserted) {
      const key = e.workspaceId ?? `a:${e.accountId}`;
      const cur = maxSeq.get(key);
      if (!cur) maxSeq.set(key, { workspaceId: e.workspaceId, accountId: e.accountId, seq: e.seq });
      else if (cur.seq < e.seq) cur.seq = e.seq;
    }
    for (const n of maxSeq.values()) {
      await store.changes.notify({
        workspaceId: n.workspaceId,
        accountId: n.accountId,
        stream: 'events',
        maxSeq: n.seq,
      });
    }
  }, opts);
}
