import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenTestStore } from './index.ts';

export function tenancyConformance(open: OpenTestStore): void {
  describe('tenancy', () => {
    it('creates the default account and workspace once', async () => {
      const store = await open();
      try {
        const a = await store.tenancy.ensureDefaults();
        const b = await store.tenancy.ensureDefaults();
        assert.equal(a.account.id, b.account.id);
        assert.equal(a.workspace.id, b.workspace.id);
        assert.equal(a.workspace.isDefault, true);
        assert.equal(a.workspace.name, 'default');
        assert.deepEqual(await store.tenancy.getAccount(a.account.id), a.account);
        assert.equal((await store.tenancy.getWorkspace(a.account.id, a.workspace.id))?.id, a.workspace.id);
      } finally {
        await store.close();
      }
    });

    it('creates workspaces with unique handles per account', async () => {
      const store = await open();
      try {
        const { account } = await store.tenancy.ensureDefaults();
        const ws = await store.tenancy.createWorkspace({
          accountId: account.id,
          name: 'Team',
          handle: 'team',
          description: null,
        });
        assert.equal(ws.accountId, account.id);
        assert.equal(ws.isDefault, false);
        assert.equal((await store.tenancy.listWorkspaces()).length, 2);
        await assert.rejects(
          store.tenancy.createWorkspace({ accountId: account.id, name: 'Other', handle: 'team', description: null }),
          (err: { code?: string }) => err.code === 'conflict',
        );
        assert.equal(await store.tenancy.getWorkspace('00000000-0000-4000-8000-000000000000', ws.id), undefined);
      } finally {
        await store.close();
      }
    });

    it('keeps one token secret', async () => {
      const store = await open();
      try {
        const s = await store.tenancy.tokenSecret();
        assert.ok(s.length >= 32);
        assert.equal(await store.tenancy.tokenSecret(), s);
      } finally {
        await store.close();
      }
    });
  });
}
