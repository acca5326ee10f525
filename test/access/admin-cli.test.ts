/**
 * `sightline accounts|workspaces|keys` as child processes against a store a server is using, on
 * both engines: what they create is what the server sees, a key is shown once and only its hash
 * is kept.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { hashKey } from '../../src/domain/access.ts';
import { run } from '../helpers/cli.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const KEY = /^sl_[A-Za-z0-9_-]{43}$/;

forEachEngine('admin commands', (engine) => {
  let s: TestServer;
  const admin = async (...args: string[]) => {
    const r = await run([...args, '--db', s.config.db], { SIGHTLINE_DB: undefined, SIGHTLINE_DATA_DIR: undefined });
    return { ...r, lines: r.stdout.trimEnd().split('\n') };
  };
  const json = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('creates and lists accounts and workspaces that the running server serves', async () => {
    const acc = await admin('accounts', 'create', '--name', 'Team A', '--json');
    assert.equal(acc.code, 0, acc.stderr);
    const [account] = json(acc.stdout);
    assert.equal(account.handle, 'team-a');
    const dup = await admin('accounts', 'create', '--name', 'Other', '--handle', 'team-a');
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);

    const ws = await admin(
      'workspaces',
      'create',
      '--account',
      'team-a',
      '--name',
      'Prod',
      '--handle',
      'prod',
      '--json',
    );
    assert.equal(ws.code, 0, ws.stderr);
    const [workspace] = json(ws.stdout);
    const bad = await admin('workspaces', 'create', '--account', 'team-a', '--name', 'X', '--handle', 'Not Valid');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /handle/i);

    const listed = json((await admin('workspaces', 'list', '--account', String(account.id), '--json')).stdout);
    assert.deepEqual(
      listed.map((w) => w.id),
      [workspace.id],
    );
    assert.deepEqual(
      json((await admin('accounts', 'list', '--json')).stdout).map((a) => a.handle),
      ['default', 'team-a'],
    );
    // The server sees the new workspace at once (its Cloud paths answer).
    const r = await s.request('POST', `/api/accounts/${account.id}/workspaces/${workspace.id}/logs/filter`, {});
    assert.equal(r.statusCode, 200);
  });

  it('prints a new key alone on the last line, stores only its hash, lists and revokes it', async () => {
    const created = await admin(
      'keys',
      'create',
      '--account',
      'default',
      '--scope',
      'write',
      '--name',
      'ci',
      '--expires',
      '30d',
    );
    assert.equal(created.code, 0, created.stderr);
    const secret = created.lines.at(-1)!;
    assert.match(secret, KEY);
    const stored = await s.app.store.keys.byHash(hashKey(secret));
    assert.ok(stored, 'the key is stored by its hash');
    assert.equal(stored.scope, 'write');
    assert.equal(stored.workspaceIds, null);
    assert.ok(stored.expires! - stored.created > 29 * 86_400_000_000);

    const list = await admin('keys', 'list', '--json');
    assert.ok(!list.stdout.includes(secret.slice(9)), 'the list never shows the key');
    const [row] = json(list.stdout).filter((k) => k.id === stored.id);
    assert.equal(row.prefix, secret.slice(0, 9));
    assert.equal(row.name, 'ci');
    assert.equal(row.revoked, null);

    const revoked = await admin('keys', 'revoke', stored.id, '--json');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.ok((await s.app.store.keys.byHash(hashKey(secret)))?.revoked);
    const unknown = await admin('keys', 'revoke', '00000000-0000-4000-8000-000000000000');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not found/);
  });

  it('grants named workspaces, takes an ISO expiry and per-key limits, and refuses what is wrong', async () => {
    await admin('workspaces', 'create', '--account', 'default', '--name', 'Staging', '--handle', 'staging');
    const r = await admin(
      'keys',
      'create',
      '--account',
      'default',
      '--workspace',
      'staging',
      '--scope',
      'read',
      '--expires',
      '2100-01-01T00:00:00Z',
      '--rate-limit-requests',
      '60',
      '--rate-limit-items',
      '1000',
    );
    assert.equal(r.code, 0, r.stderr);
    const key = (await s.app.store.keys.byHash(hashKey(r.lines.at(-1)!)))!;
    assert.equal(key.workspaceIds?.length, 1);
    assert.equal(key.rateLimitRequests, 60);
    assert.equal(key.rateLimitItems, 1000);
    assert.equal(key.expires, Date.UTC(2100, 0, 1) * 1000);

    for (const [args, why] of [
      [['--scope', 'root'], /scope/],
      [['--scope', 'read', '--workspace', 'nope'], /not found/],
      [['--scope', 'read', '--expires', '2000-01-01T00:00:00Z'], /future/],
      [['--scope', 'read', '--expires', 'soon'], /expires/],
      [[], /--scope/],
    ] as const) {
      const bad = await admin('keys', 'create', '--account', 'default', ...args);
      assert.notEqual(bad.code, 0, args.join(' '));
      assert.match(bad.stderr, why);
    }
  });
});
