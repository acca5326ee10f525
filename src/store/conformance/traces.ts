import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4 } from '../../domain/ids.ts';
import type { OpenTestStore } from './index.ts';

export function traceConformance(open: OpenTestStore): void {
  describe('traces', () => {
    it('counts the root flow run among the flow runs of its trace', async () => {
      const store = await open();
      try {
        const { workspace } = await store.tenancy.ensureDefaults();
        const root = uuid4();
        assert.ok((await store.traces.flowRunIds(workspace.id, root)).includes(root));
      } finally {
        await store.close();
      }
    });
  });
}
