/** The text index worker copies the WAL into the database file long before the writer's backstop would. */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../test/helpers/engines.ts';
import { openStore } from '../open.ts';

it('checkpoints the WAL off the writer while logs arrive', async () => {
  const path = join(tempDir(), 'ckpt.db');
  const store = await openStore({ url: `sqlite:${path}` });
  try {
    const ws = (await store.tenancy.ensureDefaults()).workspace.id;
    await sleep(300); // the worker's first passes checkpoint the schema
    const before = statSync(path).size;
    // About 1 MB of logs: a few hundred WAL pages, far below the writer's 10,000-page autocheckpoint.
    const message = 'x'.repeat(1000);
    for (let b = 0; b < 10; b++) {
      await store.logs.append(
        Array.from({ length: 100 }, (_, i) => ({
          workspaceId: ws,
          id: crypto.randomUUID(),
          created: 1,
          timestamp: b * 100 + i,
          level: 20,
          name: 'test',
          message,
          flow_run_id: null,
          task_run_id: null,
          worker_id: null,
        })),
      );
    }
    let grown = 0;
    for (let i = 0; i < 50 && grown < 1_000_000; i++) {
      await sleep(100);
      grown = statSync(path).size - before;
    }
    assert.ok(grown >= 1_000_000, `the database file grew by ${grown} bytes only: the WAL was not checkpointed`);
  } finally {
    await store.close();
  }
});
