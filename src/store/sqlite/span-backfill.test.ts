/** A database whose runs predate the spans gets them computed when the store opens. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { tempDir } from '../../../test/helpers/engines.ts';
import { smallTrace } from '../conformance/span-fixtures.ts';
import { openStore } from '../open.ts';

it('backfills spans and observed states of runs written before the spans existed', async () => {
  const path = join(tempDir(), 'old.db');
  let store = await openStore({ url: `sqlite:${path}` });
  const ws = (await store.tenancy.ensureDefaults()).workspace.id;
  const t = await smallTrace(store, ws);
  const before = await store.spans.list(ws, t.root.id, { filters: {}, descending: false, limit: 100 });
  await store.close();

  // As if the runs had been written by a Sightline without spans.
  const raw = new DatabaseSync(path);
  raw.exec("DELETE FROM spans; DELETE FROM span_observed_states; DELETE FROM meta WHERE key = 'spans_backfilled'");
  raw.close();

  store = await openStore({ url: `sqlite:${path}` });
  try {
    const after = await store.spans.list(ws, t.root.id, { filters: {}, descending: false, limit: 100 });
    const shape = (xs: typeof before) =>
      xs.map((s) => [s.span_id, s.trace_id, s.path, s.state_name, s.child_count, s.child_state_counts, s.tags]);
    assert.deepEqual(shape(after), shape(before));
    const states = await store.spans.observedStates(ws, {}, { orderBy: 'NAME_ASC', limit: 10 });
    assert.deepEqual(
      states.map((s) => s.state_name),
      ['Completed', 'Failed', 'Pending', 'Running'],
    );
  } finally {
    await store.close();
  }
});
