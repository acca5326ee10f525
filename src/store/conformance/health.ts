import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenTestStore } from './index.ts';
import { newLog } from './log-fixtures.ts';

export function healthConformance(open: OpenTestStore): void {
  describe('health', () => {
    it('a freshly migrated store has no problems, a size, and a pool only on PostgreSQL', async () => {
      const store = await open();
      try {
        assert.deepEqual(await store.health.problems(), []);
        assert.ok((await store.health.sizeBytes()) >= 0);
        const pool = store.health.pool();
        if (store.engine === 'postgres') {
          assert.ok(pool && pool.total >= pool.idle && pool.waiting >= 0, JSON.stringify(pool));
        } else assert.equal(pool, undefined);
      } finally {
        await store.close();
      }
    });

    it('the size grows as logs are written', async () => {
      const store = await open();
      try {
        const { workspace } = await store.tenancy.ensureDefaults();
        const before = await store.health.sizeBytes();
        const message = 'x'.repeat(2000);
        await store.logs.append(
          Array.from({ length: 2000 }, (_, i) => newLog(workspace.id, { message: `${i} ${message}` })),
        );
        assert.ok((await store.health.sizeBytes()) > before);
      } finally {
        await store.close();
      }
    });
  });
}
