import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashKey, KEY_PREFIX_LENGTH, type NewApiKey, newKeySecret } from '../../domain/access.ts';
import { uuid4 } from '../../domain/ids.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Store } from '../contract.ts';
import type { OpenTestStore } from './index.ts';

function newKey(accountId: string, over: Partial<NewApiKey> = {}): NewApiKey {
  const secret = newKeySecret();
  return {
    id: uuid4(),
    accountId,
    workspaceIds: null,
    scope: 'read',
    name: 'k',
    prefix: secret.slice(0, KEY_PREFIX_LENGTH),
    hash: hashKey(secret),
    expires: null,
    rateLimitRequests: null,
    rateLimitItems: null,
    ...over,
  };
}

async function withStore(open: OpenTestStore, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

export function keyConformance(open: OpenTestStore): void {
  describe('accounts and keys', () => {
    it('creates and lists accounts with unique handles, and lists workspaces per account', () =>
      withStore(open, async (store) => {
        const { account, workspace } = await store.tenancy.ensureDefaults();
        const team = await store.tenancy.createAccount({ name: 'Team A', handle: 'team-a' });
        assert.deepEqual(await store.tenancy.getAccount(team.id), team);
        assert.deepEqual(
          (await store.tenancy.listAccounts()).map((a) => a.handle),
          ['default', 'team-a'],
        );
        await assert.rejects(
          store.tenancy.createAccount({ name: 'Other', handle: 'team-a' }),
          (err: { code?: string }) => err.code === 'conflict',
        );
        const ws = await store.tenancy.createWorkspace({
          accountId: team.id,
          name: 'Prod',
          handle: 'prod',
          description: null,
        });
        assert.deepEqual(
          (await store.tenancy.listWorkspaces(team.id)).map((w) => w.id),
          [ws.id],
        );
        assert.deepEqual(
          (await store.tenancy.listWorkspaces(account.id)).map((w) => w.id),
          [workspace.id],
        );
        assert.equal((await store.tenancy.listWorkspaces()).length, 2);
      }));

    it('stores a key by its hash with every field, and never twice', () =>
      withStore(open, async (store) => {
        const { account, workspace } = await store.tenancy.ensureDefaults();
        const input = newKey(account.id, {
          workspaceIds: [workspace.id],
          scope: 'write',
          name: 'ci',
          expires: nowMicros() + 3_600_000_000,
          rateLimitRequests: 100,
          rateLimitItems: 5000,
        });
        const before = nowMicros();
        const stored = await store.keys.create(input);
        assert.deepEqual({ ...stored, created: 0 }, { ...input, created: 0, revoked: null, lastUsed: null });
        assert.ok(stored.created >= before && stored.created <= nowMicros());
        assert.deepEqual(await store.keys.byHash(input.hash), stored);
        assert.equal(await store.keys.byHash(hashKey(newKeySecret())), undefined);
        await assert.rejects(
          store.keys.create({ ...newKey(account.id), hash: input.hash }),
          (err: { code?: string }) => err.code === 'conflict',
        );
        const wide = await store.keys.create(newKey(account.id));
        assert.equal(wide.workspaceIds, null);
        assert.equal(wide.expires, null);
      }));

    it('lists keys per account, oldest first', () =>
      withStore(open, async (store) => {
        const { account } = await store.tenancy.ensureDefaults();
        const other = await store.tenancy.createAccount({ name: 'B', handle: 'b' });
        const a1 = await store.keys.create(newKey(account.id, { name: 'a1' }));
        const b1 = await store.keys.create(newKey(other.id, { name: 'b1' }));
        const a2 = await store.keys.create(newKey(account.id, { name: 'a2' }));
        assert.deepEqual(
          (await store.keys.list(account.id)).map((k) => k.id),
          [a1.id, a2.id],
        );
        assert.deepEqual(
          (await store.keys.list(other.id)).map((k) => k.id),
          [b1.id],
        );
        assert.deepEqual((await store.keys.list()).map((k) => k.name).sort(), ['a1', 'a2', 'b1']);
      }));

    it('revokes once, keeping the first time, and records use only forwards', () =>
      withStore(open, async (store) => {
        const { account } = await store.tenancy.ensureDefaults();
        const key = await store.keys.create(newKey(account.id));
        const t = nowMicros();
        assert.equal((await store.keys.revoke(key.id, t))?.revoked, t);
        assert.equal((await store.keys.revoke(key.id, t + 5))?.revoked, t);
        assert.equal((await store.keys.byHash(key.hash))?.revoked, t);
        assert.equal(await store.keys.revoke(uuid4(), t), undefined);
        await store.keys.touch(key.id, t + 10);
        await store.keys.touch(key.id, t + 1);
        assert.equal((await store.keys.byHash(key.hash))?.lastUsed, t + 10);
      }));
  });
}
