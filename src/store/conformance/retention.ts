import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CountKey, EventScope } from '../../domain/events.ts';
import { uuid4 } from '../../domain/ids.ts';
import type { LogRow } from '../../domain/logs.ts';
import { type OtelSpanRow, otelSpanUuid, otelTraceUuid } from '../../domain/otlp/spans.ts';
import type { Store } from '../contract.ts';
import { newEvent } from './events.ts';
import type { OpenTestStore } from './index.ts';
import { newLog as log, logQuery } from './log-fixtures.ts';
import { flow, flowRun, otherWorkspace, state, T0, taskRun, withAccountStore, withStore } from './run-fixtures.ts';

const S = 1_000_000;
const HOUR = 3600 * S;

/** Every log left in the workspace (few in these tests). */
async function allLogs(store: Store, ws: string): Promise<LogRow[]> {
  return store.logs.filter(ws, logQuery({}, { limit: 10_000 }));
}

/** Logger statistics and per-run counters recomputed from the remaining logs equal the stored ones. */
async function assertLogStatsTrue(store: Store, ws: string, runs: string[]): Promise<void> {
  const rows = await allLogs(store, ws);
  const byName = new Map<string, { name: string; count: number; firstSeen: number; lastSeen: number }>();
  for (const r of rows) {
    const s = byName.get(r.name) ?? { name: r.name, count: 0, firstSeen: r.timestamp, lastSeen: r.timestamp };
    s.count++;
    s.firstSeen = Math.min(s.firstSeen, r.timestamp);
    s.lastSeen = Math.max(s.lastSeen, r.timestamp);
    byName.set(r.name, s);
  }
  const expected = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 100 }), expected);
  for (const run of runs) {
    const mine = rows.filter((r) => r.flow_run_id === run);
    const stats = mine.length
      ? {
          count: mine.length,
          maxSeq: Math.max(...mine.map((r) => r.seq)),
          warnings: mine.filter((r) => r.level >= 30 && r.level < 40).length,
          errors: mine.filter((r) => r.level >= 40).length,
        }
      : undefined;
    assert.deepEqual(await store.logs.runStats(ws, run), stats, `run ${run}`);
    const perRun = await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 100, flowRunIds: [run] });
    assert.deepEqual(
      perRun.map((l) => [l.name, l.count, l.firstSeen, l.lastSeen]),
      [...new Set(mine.map((r) => r.name))].sort().map((name) => {
        const t = mine.filter((r) => r.name === name).map((r) => r.timestamp);
        return [name, t.length, Math.min(...t), Math.max(...t)];
      }),
    );
  }
}

export function retentionConformance(open: OpenTestStore): void {
  describe('retention', () => {
    it('keeps workspace settings and the last sweep, per workspace', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        assert.equal(await store.retention.settings(ws), undefined);
        await store.retention.setSettings(ws, { logs: 60, events: null, runs: 0 });
        assert.deepEqual(await store.retention.settings(ws), { logs: 60, events: null, runs: 0 });
        await store.retention.setSettings(ws, { logs: null, events: 3600, runs: 0 });
        assert.deepEqual(await store.retention.settings(ws), { logs: null, events: 3600, runs: 0 });
        assert.equal(await store.retention.settings(other.id), undefined);
        const sweep = { started: T0, finished: T0 + 5, removed: { logs: 1, events: 2, runs: 3, spans: 4 } };
        await store.retention.recordSweep(ws, sweep);
        assert.deepEqual(await store.retention.lastSweep(ws), sweep);
        assert.equal(await store.retention.lastSweep(other.id), undefined);
        assert.equal(await store.retention.exclusive(async () => store.retention.exclusive(async () => 1)), undefined);
        assert.equal(await store.retention.exclusive(async () => 2), 2);
      }));

    it('keeps statistics true when logs of concurrent appends are removed, and after', () =>
      withStore(open, async (store, ws) => {
        const runs = [uuid4(), uuid4()];
        const task = uuid4();
        // 8 appends at once, over the same runs and loggers (PostgreSQL: in several slots, ADR 49).
        await Promise.all(
          Array.from({ length: 8 }, (_, w) =>
            store.logs.append(
              Array.from({ length: 30 }, (_, i) =>
                log(ws, {
                  flow_run_id: runs[i % 2],
                  task_run_id: i % 5 === 0 ? task : null,
                  name: ['a', 'b', 'c'][(i + w) % 3],
                  level: [20, 30, 40][i % 3],
                  timestamp: T0 + w * S + i,
                }),
              ),
            ),
          ),
        );
        await assertLogStatsTrue(store, ws, runs);
        assert.equal(await store.retention.deleteLogs(ws, T0 + 3 * S, 1_000), 90);
        await assertLogStatsTrue(store, ws, runs);
        assert.equal(await store.logs.deleteForRuns(ws, { flowRunIds: [], taskRunIds: [task] }), 30);
        await assertLogStatsTrue(store, ws, runs);
        await Promise.all(
          [runs[0], runs[1], runs[0]].map((run, i) =>
            store.logs.append([log(ws, { flow_run_id: run, name: 'a', level: 40, timestamp: T0 + 9 * S + i })]),
          ),
        );
        await assertLogStatsTrue(store, ws, runs);
      }));

    it('deletes logs older than the cutoff in batches, oldest first, keeping statistics true', () =>
      withStore(open, async (store, ws) => {
        const other = await otherWorkspace(store);
        const straddling = uuid4();
        const old = uuid4();
        const at = (sec: number, over: Parameters<typeof log>[1] = {}) => log(ws, { timestamp: T0 + sec * S, ...over });
        await store.logs.append([
          at(50, { flow_run_id: straddling, name: 'a', level: 40 }),
          at(10, { flow_run_id: straddling, name: 'a', level: 30 }),
          at(150, { flow_run_id: straddling, name: 'a' }),
          at(20, { flow_run_id: straddling, name: 'only.old', level: 30 }),
          at(30, { flow_run_id: old, name: 'b' }),
          at(40, { name: 'b' }),
          at(200, { name: 'b', level: 50 }),
          at(5, { name: 'gone' }),
        ]);
        // A late arrival with an old timestamp holds the run's highest seq.
        await store.logs.append([at(60, { flow_run_id: straddling, name: 'a' })]);
        await store.logs.append([log(other.id, { timestamp: T0 })]);
        const cutoff = T0 + 100 * S;
        assert.equal(await store.retention.countLogs(ws, cutoff), 7);
        const batches: number[] = [];
        for (;;) {
          const n = await store.retention.deleteLogs(ws, cutoff, 3);
          batches.push(n);
          await assertLogStatsTrue(store, ws, [straddling, old]);
          if (n < 3) break;
        }
        assert.deepEqual(batches, [3, 3, 1]);
        assert.deepEqual(
          (await allLogs(store, ws)).map((r) => r.timestamp),
          [T0 + 150 * S, T0 + 200 * S],
        );
        assert.equal(await store.retention.countLogs(ws, cutoff), 0);
        assert.equal((await allLogs(store, other.id)).length, 1, 'other workspaces keep theirs');
        const searched = await store.logs.filter(ws, logQuery({ text: { query: 'm' } }));
        assert.equal(searched.length, 2, 'text search finds only what remains');
        // Appends after a deletion continue above every seq ever handed out.
        const [next] = await store.logs.append([at(300)]);
        assert.ok(next.seq > (await allLogs(store, ws)).filter((r) => r.id !== next.id).at(-1)!.seq);
      }));

    it('deletes events older than the cutoff per name group, keeping rollups, counters and tags true', () =>
      withAccountStore(open, async (store, account, ws) => {
        const BASE = Math.floor(T0 / HOUR) * HOUR;
        const run = 'dddddddd-0000-4000-8000-000000000009';
        const tag = (name: string) => ({
          'prefect.resource.id': `prefect.tag.${name}`,
          'prefect.resource.role': 'tag',
        });
        const actor = {
          'prefect.resource.id': 'user.a',
          'prefect.resource.role': 'actor',
          'prefect.resource.name': 'A',
        };
        const evs = Array.from({ length: 40 }, (_, i) =>
          newEvent(account, ws, i, {
            // Around the boundary between the first and second hour.
            occurred: BASE + HOUR - 20 * S + i * S,
            event: i % 4 === 0 ? 'keep.long.x' : i % 4 === 1 ? 'short.y' : 'evt.z',
            resourceId: i % 2 ? `prefect.flow-run.${run}` : `res.${i % 3}`,
            resource: { 'prefect.resource.id': i % 2 ? `prefect.flow-run.${run}` : `res.${i % 3}` },
            related: [
              ...(i < 10 ? [tag('old-only')] : []),
              ...(i === 1 || i === 2 ? [tag('early')] : []),
              ...(i % 5 === 0 ? [tag('common')] : []),
              ...(i % 3 ? [actor] : []),
            ],
          }),
        );
        for (let i = 0; i < evs.length; i += 9) await store.events.append(evs.slice(i, i + 9));
        await store.tags.delete(ws, 'deleted-by-user');
        const cutoff = BASE + HOUR + 5 * S;
        const groups = [
          { before: cutoff - 30 * S, prefix: 'keep.long', exclude: [] },
          { before: cutoff + 10 * S, prefix: 'short', exclude: [] },
          { before: cutoff, exclude: ['keep.long', 'short'] },
        ];
        const owner = { accountId: account, workspaceId: ws };
        for (const g of groups) {
          const pending = await store.retention.countEvents(owner, g);
          let removed = 0;
          for (;;) {
            const n = await store.retention.deleteEvents(owner, g, 4);
            removed += n;
            if (n < 4) break;
          }
          assert.equal(removed, pending);
          assert.equal(await store.retention.countEvents(owner, g), 0);
        }
        const scope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        const left = await store.events.query(scope, {
          filter: { since: 0, until: T0 * 2 },
          order: 'ASC',
          limit: 1000,
        });
        const expectedLeft = evs.filter((e) =>
          e.event.startsWith('keep.long')
            ? e.occurred >= groups[0].before
            : e.event.startsWith('short')
              ? e.occurred >= groups[1].before
              : e.occurred >= cutoff,
        );
        assert.deepEqual(left.map((e) => e.id).sort(), expectedLeft.map((e) => e.id).sort());
        const keys: CountKey[] = ['time', 'event', 'resource', 'workspace', 'actor'];
        const norm = (rows: { value: string }[]) =>
          rows.map((r) => ({ ...r })).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
        for (const [since, until] of [
          [BASE, BASE + 3 * HOUR],
          [BASE + HOUR, BASE + 2 * HOUR],
        ])
          for (const key of keys) {
            const filter = { since, until };
            const buckets = key === 'time' ? { origin: BASE - HOUR, width: HOUR } : undefined;
            const viaRollups = await store.events.countBy(scope, key, filter, buckets);
            const exact = await store.events.countBy(scope, key, { ...filter, any_resource: [{}] }, buckets);
            assert.deepEqual(norm(viaRollups), norm(exact), `${key} ${since}`);
          }
        const own = left.filter((e) => e.resourceId === `prefect.flow-run.${run}`).length;
        assert.equal(await store.events.runEventCount(ws, run, false), own);
        const tags = await store.tags.list(ws, { sort: 'NAME_ASC', limit: 10, offset: 0 });
        const expectedTags = ['common', 'old-only', 'recent-only']
          .map((name) => {
            const mine = left.filter((e) => e.related.some((r) => r['prefect.resource.id'] === `prefect.tag.${name}`));
            return mine.length ? [name, mine.length, mine[0].occurred, mine.at(-1)!.occurred] : undefined;
          })
          .filter(Boolean);
        assert.deepEqual(
          tags.results.map((t) => [t.name, t.count, t.firstSeen, t.lastSeen]),
          expectedTags,
          'tags recomputed from the remaining events; one whose events all went disappears',
        );
        assert.ok(!tags.results.some((t) => t.name === 'early'), 'a tag whose only events expired disappears');
      }));

    it('keeps a frequent tag true when its oldest events go and older ones of a kept name remain', () =>
      withAccountStore(open, async (store, account, ws) => {
        const tag = { 'prefect.resource.id': 'prefect.tag.many', 'prefect.resource.role': 'tag' };
        // Enough carriers to take the engines' paths for frequent tags; a kept name sits oldest.
        const evs = Array.from({ length: 700 }, (_, i) =>
          newEvent(account, ws, i, {
            occurred: T0 + i * S,
            event: i < 5 || i % 7 === 0 ? 'keep.x' : 'go.y',
            related: i % 3 === 2 && i !== 699 ? [] : [tag],
          }),
        );
        for (let i = 0; i < evs.length; i += 100) await store.events.append(evs.slice(i, i + 100));
        const owner = { accountId: account, workspaceId: ws };
        const g = { before: T0 + 650 * S, exclude: ['keep.'] };
        while ((await store.retention.deleteEvents(owner, g, 100)) === 100);
        const left = evs.filter((e) => e.event === 'keep.x' || e.occurred >= g.before);
        const mine = left.filter((e) => e.related.length > 0);
        const tags = await store.tags.list(ws, { sort: 'NAME_ASC', limit: 10, offset: 0 });
        assert.deepEqual(
          tags.results.map((t) => [t.name, t.count, t.firstSeen, t.lastSeen]),
          [['many', mine.length, mine[0].occurred, mine.at(-1)!.occurred]],
        );
        // Then the newest carrier goes too (a shorter group over every name): the last end moves.
        while ((await store.retention.deleteEvents(owner, { before: T0 + 700 * S, exclude: [] }, 100)) === 100);
        assert.deepEqual((await store.tags.list(ws, { sort: 'NAME_ASC', limit: 10, offset: 0 })).results, []);
      }));

    it("deletes an account's account-level events, leaving its workspaces' and other accounts' events", () =>
      withAccountStore(open, async (store, account, ws) => {
        const other = await store.tenancy.createAccount({ name: 'Other', handle: 'other-retention' });
        const BASE = Math.floor(T0 / HOUR) * HOUR;
        const ev = (acct: string, w: string | null, i: number) =>
          newEvent(acct, w, i, {
            occurred: BASE + HOUR - 10 * S + i * S,
            event: i % 2 ? 'acct.a' : 'acct.b',
            related: i % 3 ? [] : [{ 'prefect.resource.id': 'user.x', 'prefect.resource.role': 'actor' }],
          });
        const mine = Array.from({ length: 20 }, (_, i) => ev(account, null, i));
        await store.events.append(mine);
        await store.events.append(Array.from({ length: 20 }, (_, i) => ev(account, ws, i)));
        await store.events.append(Array.from({ length: 20 }, (_, i) => ev(other.id, null, i)));
        const g = { before: BASE + HOUR + 5 * S, exclude: [] };
        const owner = { accountId: account, workspaceId: null };
        assert.equal(await store.retention.countEvents(owner, g), 15);
        let removed = 0;
        for (;;) {
          const n = await store.retention.deleteEvents(owner, g, 4);
          removed += n;
          if (n < 4) break;
        }
        assert.equal(removed, 15);
        const all = { since: 0, until: T0 * 2 };
        const read = async (scope: EventScope) =>
          (await store.events.query(scope, { filter: all, order: 'ASC', limit: 1000 })).map((e) => e.id).sort();
        const accountScope: EventScope = { kind: 'account', accountId: account };
        const workspaceScope: EventScope = { kind: 'workspace', accountId: account, workspaceId: ws };
        assert.equal((await read(workspaceScope)).length, 20, "the workspace's events stay");
        assert.deepEqual(
          (await read(accountScope)).filter((id) => mine.some((e) => e.id === id)),
          mine
            .slice(15)
            .map((e) => e.id)
            .sort(),
        );
        assert.equal((await read({ kind: 'account', accountId: other.id })).length, 20, 'other accounts keep theirs');
        for (const key of ['time', 'event', 'actor'] as CountKey[]) {
          const buckets = key === 'time' ? { origin: BASE - HOUR, width: HOUR } : undefined;
          const viaRollups = await store.events.countBy(accountScope, key, all, buckets);
          const exact = await store.events.countBy(accountScope, key, { ...all, any_resource: [{}] }, buckets);
          assert.deepEqual(viaRollups, exact, key);
        }
      }));

    it('finds traces whose terminal root and every span ended before the cutoff', () =>
      withStore(open, async (store, ws) => {
        const { flow: f } = await store.flows.upsert(ws, flow('retained'));
        const root = async (type: 'COMPLETED' | 'RUNNING', at: number) => {
          const { run } = await store.flowRuns.create(ws, flowRun(f.id), state(type, at));
          return run.id;
        };
        const child = async (parent: string, at: number) => {
          const { run: task } = await store.taskRuns.create(ws, taskRun(parent, `t${at}`), state('COMPLETED', at));
          const { run: sub } = await store.flowRuns.create(
            ws,
            flowRun(f.id, { parent_task_run_id: task.id }),
            state('COMPLETED', at + S),
          );
          return sub.id;
        };
        const old = await root('COMPLETED', T0);
        await store.taskRuns.create(ws, taskRun(old, 'ended'), state('COMPLETED', T0 + 10 * S));
        const recentSubflow = await root('COMPLETED', T0);
        await child(recentSubflow, T0 + 1000 * S);
        await root('RUNNING', T0);
        await root('COMPLETED', T0 + 900 * S);
        const cutoff = T0 + 500 * S;
        assert.deepEqual(await store.retention.expiredTraces(ws, cutoff, 10), [old]);
        assert.deepEqual(await store.retention.expiredTraces(ws, T0 + 5 * S, 10), [], 'its task run ended later');
        assert.deepEqual(await store.retention.expiredTraces((await otherWorkspace(store)).id, cutoff, 10), []);
      }));

    it('forgets OTLP log ids recorded before the cutoff, oldest first, in this workspace only', () =>
      withStore(open, async (store, ws) => {
        const other = (await otherWorkspace(store)).id;
        const at = (w: string, created: number) => log(w, { created, otlp: {} });
        const [a, b, c, d] = [at(ws, T0), at(ws, T0 + 10), at(ws, T0 + 1000), at(other, T0)];
        await store.logs.append([a, b, c, d]);
        assert.equal(await store.retention.forgetOtelLogIds(ws, T0 + 500, 1), 1, 'bounded by the limit');
        assert.deepEqual(await store.otel.knownLogIds(ws, [a.id, b.id, c.id]), new Set([b.id, c.id]), 'oldest first');
        assert.equal(await store.retention.forgetOtelLogIds(ws, T0 + 500, 10), 1);
        assert.deepEqual(await store.otel.knownLogIds(ws, [a.id, b.id, c.id]), new Set([c.id]));
        assert.deepEqual(await store.otel.knownLogIds(other, [d.id]), new Set([d.id]), 'other workspaces keep theirs');
      }));

    it('finds and deletes traces of OTel spans only by their latest span end, runs and other traces aside', () =>
      withStore(open, async (store, ws) => {
        const span = (trace: string, n: number, parent: number | null, end: number): OtelSpanRow => ({
          span_id: otelSpanUuid(n.toString(16).padStart(16, '0')),
          otel_trace_id: trace,
          otel_parent_id: parent === null ? null : otelSpanUuid(parent.toString(16).padStart(16, '0')),
          name: `s${n}`,
          start_time: T0,
          end_time: end,
          state_type: 'COMPLETED',
          state_name: 'Completed',
          attributes: {},
          events: [],
          run_id: null,
        });
        const old = otelTraceUuid('1'.repeat(32));
        const recent = otelTraceUuid('2'.repeat(32));
        await store.otel.writeSpans(ws, [span(old, 1, null, T0 + S), span(old, 2, 1, T0 + 2 * S)]);
        await store.otel.writeSpans(ws, [span(recent, 3, null, T0 + S), span(recent, 4, 3, T0 + 1000 * S)]);
        const { flow: f } = await store.flows.upsert(ws, flow('with-otel'));
        await store.flowRuns.create(ws, flowRun(f.id), state('COMPLETED', T0));
        const cutoff = T0 + 500 * S;
        assert.deepEqual(await store.retention.expiredOtelTraces(ws, cutoff, 10), [old]);
        assert.deepEqual(await store.retention.expiredOtelTraces(ws, T0 + S, 10), [], 'a child ended later');
        assert.deepEqual(await store.retention.expiredOtelTraces((await otherWorkspace(store)).id, cutoff, 10), []);
        assert.equal(await store.retention.deleteOtelTrace(ws, old), 2);
        assert.equal(await store.spans.hasTrace(ws, old), false);
        assert.equal(await store.spans.hasTrace(ws, recent), true);
        assert.deepEqual(await store.retention.expiredOtelTraces(ws, cutoff, 10), []);
        // Re-sent later, a span is stored again (nothing of the old trace holds its id).
        assert.deepEqual(await store.otel.writeSpans(ws, [span(old, 2, 1, T0 + 2 * S)]), []);
        assert.equal((await store.spans.get(ws, otelSpanUuid('2'.padStart(16, '0'))))?.trace_id, old);
      }));
  });
}
