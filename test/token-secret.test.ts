/** The secret that signs page tokens and cursors: kept in the database, or given with --token-secret. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachEngine } from './helpers/engines.ts';
import { startServer } from './helpers/server.ts';

forEachEngine('token secret', (engine) => {
  it('comes from the database unless --token-secret overrides it', async () => {
    const kept = await startServer(engine);
    const given = await startServer(engine, { 'token-secret': 'an operator-chosen secret of enough length' });
    try {
      assert.equal(kept.app.services.tokenSecret, await kept.app.store.tenancy.tokenSecret());
      assert.equal(given.app.services.tokenSecret, 'an operator-chosen secret of enough length');
    } finally {
      await kept.close();
      await given.close();
    }
  });
});
