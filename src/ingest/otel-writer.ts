/**
 * The OTel span writer: group commit over `store.otel.writeSpans`, like the log and event writers.
 * Each item learns whether it was stored (`rejected`: its span id belongs to another trace), which
 * its export reports in `partial_success`.
 */
import type { OtelSpanRow } from '../domain/otlp/spans.ts';
import type { Store } from '../store/contract.ts';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';

export interface OtelSpanItem {
  workspaceId: string;
  row: OtelSpanRow;
  /** Set by the writer when the span was not stored. */
  rejected?: boolean;
}

export function createOtelWriter(
  store: Store,
  opts: Pick<GroupCommitOptions, 'onCommit'> = {},
): GroupCommit<OtelSpanItem> {
  return new GroupCommit<OtelSpanItem>(
    async (items) => {
      // One store call per run of items of one workspace, in order.
      for (let i = 0; i < items.length; ) {
        const ws = items[i].workspaceId;
        const run: OtelSpanItem[] = [];
        for (; i < items.length && items[i].workspaceId === ws; i++) run.push(items[i]);
        for (const j of await store.otel.writeSpans(
          ws,
          run.map((x) => x.row),
        ))
          run[j].rejected = true;
      }
    },
    { concurrency: store.writeConcurrency, ...opts },
  );
}
