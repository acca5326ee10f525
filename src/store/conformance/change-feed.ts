import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewLog } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { ChangeNotice, Store } from '../contract.ts';
import type { OpenTestStore } from './index.ts';
import { logQuery, newLog } from './log-fixtures.ts';
import { withStore } from './run-fixtures.ts';

function log(workspaceId: string, message: string): NewLog {
  const t = nowMicros();
  return newLog(workspaceId, { created: t, name: 'feed', message, timestamp: t });
}

/** Resolves with the first notice matching `pred`, or rejects after `ms`. */
function waitFor(store: Store, pred: (n: ChangeNotice) => boolean, ms = 5000): Promise<ChangeNotice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error('no matching change notice'));
    }, ms);
    const stop = store.changes.subscribe((n) => {
      if (!pred(n)) return;
      clearTimeout(timer);
      stop();
      resolve(n);
    });
  });
}

export function changeFeedConformance(open: OpenTestStore): void {
  describe('change feed', () => {
    it('announces committed positions to subscribers; every row up to maxSeq is readable', () =>
      withStore(open, async (store, ws) => {
        const seen: ChangeNotice[] = [];
        const stopAll = store.changes.subscribe((n) => seen.push(n));
        // Let an engine that listens over the network finish subscribing first.
        await new Promise((r) => setTimeout(r, 100));
        const rows = await store.logs.append([log(ws, 'a'), log(ws, 'b')]);
        const last = rows[1].seq;
        const notice = waitFor(store, (n) => n.workspaceId === ws && n.stream === 'logs' && n.maxSeq >= last);
        await store.changes.notify({ workspaceId: ws, stream: 'logs', maxSeq: last });
        const n = await notice;
        const read = await store.logs.filter(ws, logQuery());
        assert.deepEqual(
          read.filter((r) => r.seq <= n.maxSeq).map((r) => r.message),
          ['a', 'b'],
        );
        stopAll();
        const before = seen.length;
        const more = await store.logs.append([log(ws, 'c')]);
        const again = waitFor(store, (x) => x.maxSeq >= more[0].seq);
        await store.changes.notify({ workspaceId: ws, stream: 'logs', maxSeq: more[0].seq });
        await again;
        assert.equal(seen.length, before, 'an unsubscribed listener hears nothing more');
      }));
  });
}
