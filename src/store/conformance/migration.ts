import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventScope } from '../../domain/events.ts';
import { canonicalRecord, MIGRATION_KINDS, type MigrationKind, type MigrationValue } from '../../domain/migration.ts';
import type { Store } from '../contract.ts';
import { newEvent } from './events.ts';
import type { OpenTestStore } from './index.ts';
import { logQuery, newLog } from './log-fixtures.ts';
import { query, T0 } from './run-fixtures.ts';
import { smallTrace } from './span-fixtures.ts';

/** Every record of a kind, in export order, read in small batches (so paging is exercised). */
async function exported(store: Store, k: MigrationKind): Promise<string[]> {
  const out: string[] = [];
  let after: MigrationValue[] | undefined;
  for (;;) {
    const records = await store.migration.exportBatch(k.table, after, 7);
    out.push(...records.map((r) => canonicalRecord(k, r)));
    if (records.length < 7) return out;
    after = k.key.map((c) => records[records.length - 1][c]);
  }
}

async function copy(from: Store, to: Store): Promise<number> {
  let added = 0;
  for (const k of MIGRATION_KINDS) {
    let after: MigrationValue[] | undefined;
    for (;;) {
      const records = await from.migration.exportBatch(k.table, after, 7);
      if (!records.length) break;
      added += await to.migration.importBatch(k.table, records);
      after = k.key.map((c) => records[records.length - 1][c]);
    }
  }
  await to.migration.finishImport();
  return added;
}

/** The reads the API serves over what `fill` stored. */
async function reads(store: Store, ws: string, account: string, other: string, runId: string, rootId: string) {
  const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
  const all = { since: 0, until: T0 * 2 };
  return {
    logs: await store.logs.filter(ws, logQuery({}, { limit: 500 })),
    text: await store.logs.filter(ws, logQuery({ text: { query: 'needle' } })),
    loggers: await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10 }),
    runLoggers: await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, flowRunIds: [runId] }),
    runStats: await store.logs.runStats(ws, runId),
    events: await store.events.query(scope, { filter: all, order: 'ASC', limit: 100 }),
    accountEvents: await store.events.query(
      { kind: 'account', accountId: other },
      { filter: all, order: 'DESC', limit: 100 },
    ),
    countBy: (await store.events.countBy(scope, 'event', all)).map((r) => JSON.stringify(r)).sort(),
    runEvents: await store.events.runEventCount(ws, runId, true),
    tags: await store.tags.list(ws, { sort: 'NAME_ASC', limit: 10, offset: 0 }),
    flowRuns: await store.flowRuns.filter(ws, query('ID_DESC')),
    taskRuns: await store.taskRuns.filter(ws, query('ID_DESC')),
    artifacts: await store.artifacts.filter(ws, query('ID_DESC')),
    trace: await store.traces.outline(ws, rootId, 100),
    retention: await store.retention.settings(ws),
    keys: await store.keys.list(),
    accounts: await store.tenancy.listAccounts(),
    workspaces: await store.tenancy.listWorkspaces(),
  };
}

export function migrationConformance(open: OpenTestStore): void {
  describe('migration export and import', () => {
    it('copies every record into an empty store that then answers every read alike, doubling nothing', async () => {
      const from = await open();
      const to = await open();
      try {
        const { account, workspace } = await from.tenancy.ensureDefaults();
        const ws = workspace.id;
        const other = await from.tenancy.createAccount({ name: 'Other', handle: 'other' });
        await from.tenancy.createWorkspace({ accountId: other.id, name: 'O', handle: 'o', description: null });
        const trace = await smallTrace(from, ws);
        const runId = trace.root.id;
        await from.logs.append(
          Array.from({ length: 40 }, (_, i) =>
            newLog(ws, {
              name: `app.l${i % 3}`,
              level: [10, 20, 30, 40][i % 4],
              message: i % 5 ? `plain ${i}` : `with needle ${i}`,
              timestamp: T0 + (i % 7) * 1000,
              flow_run_id: i % 2 ? runId : null,
            }),
          ),
        );
        const tag = { 'prefect.resource.id': 'prefect.tag.conf', 'prefect.resource.role': 'tag' };
        await from.events.append([
          ...Array.from({ length: 20 }, (_, i) =>
            newEvent(account.id, ws, i, {
              resourceId: `prefect.flow-run.${runId}`,
              resource: { 'prefect.resource.id': `prefect.flow-run.${runId}` },
              related: [tag],
            }),
          ),
          // Account-level events of another account than the default one.
          ...Array.from({ length: 5 }, (_, i) => newEvent(other.id, null, i)),
        ]);
        await from.retention.setSettings(ws, { logs: 60, events: null, runs: 0 });
        await from.keys.create({
          id: '00000000-0000-4000-8000-00000000aaaa',
          accountId: account.id,
          workspaceIds: [ws],
          scope: 'read',
          name: 'k',
          prefix: 'slk_abcd',
          hash: 'h'.repeat(64),
          expires: null,
          rateLimitRequests: 10,
          rateLimitItems: null,
        });
        const hook = await from.webhooks.create(ws, {
          id: '00000000-0000-4000-8000-00000000bbbb',
          filter: { event: { name: ['prefect.flow-run.Failed'] } },
          url: 'http://127.0.0.1:9/hook',
          format: 'json',
          secret: 's'.repeat(32),
          created: T0,
          position: 0,
        });
        await from.webhooks.claim('source', T0, T0 + 60_000_000);
        await from.webhooks.enqueue(hook.id, 'source', [{ eventId: 'e1', seq: 1, body: '{}', created: T0 }], 1);
        const secret = await from.tenancy.tokenSecret();
        await to.tenancy.tokenSecret(); // the target's own secret is replaced by the source's

        const added = await copy(from, to);
        assert.ok(added > 100, `${added} records copied`);
        for (const k of MIGRATION_KINDS) assert.deepEqual(await exported(to, k), await exported(from, k), k.table);
        assert.equal(await to.tenancy.tokenSecret(), secret);
        const args = [ws, account.id, other.id, runId, trace.root.id] as const;
        assert.deepEqual(await reads(to, ...args), await reads(from, ...args));

        // Again: every key is stored already.
        assert.equal(await copy(from, to), 0);
        for (const k of MIGRATION_KINDS)
          assert.equal(await to.migration.count(k.table), await from.migration.count(k.table), k.table);

        // New writes continue after the copied positions and keys.
        const maxSeq = await from.logs.lastSeq();
        const [log] = await to.logs.append([newLog(ws)]);
        assert.ok(log.seq > maxSeq);
        const ev = await to.events.append([newEvent(account.id, ws, 99)]);
        assert.ok(ev.inserted[0].seq > (await from.events.maxSeq()));
        const third = await to.tenancy.createAccount({ name: 'Third', handle: 'third' });
        await to.tenancy.createWorkspace({ accountId: third.id, name: 'T', handle: 't', description: null });

        assert.equal(await to.migration.source(), undefined);
        await to.migration.markSource('abc');
        assert.equal(await to.migration.source(), 'abc');
      } finally {
        await to.close();
        await from.close();
      }
    });
  });
}
