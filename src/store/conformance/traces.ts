import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4 } from '../../domain/ids.ts';
import type { OpenTestStore } from './index.ts';
import { withStore } from './run-fixtures.ts';

export function traceConformance(open: OpenTestStore): void {
  describe('traces', () => {
    it('counts the root flow run among the flow runs of its trace', () =>
      withStore(open, async (store, ws) => {
        const root = uuid4();
        assert.ok((await store.traces.flowRunIds(ws, root)).includes(root));
      }));
  });
}
