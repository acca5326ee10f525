/**
 * The store's `filter` and the in-memory matcher of `/logs/out` must agree on every `LogFilter`:
 * a live subscriber sees exactly the new logs a query with the same filter would return. Many
 * generated filters are run both ways over the same logs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuid4, uuid7 } from '../../domain/ids.ts';
import { compileLogFilter } from '../../domain/live-match/log-filter.ts';
import type { LogFilter, NewLog } from '../../domain/logs.ts';
import type { OpenTestStore } from './index.ts';
import { withStore } from './run-fixtures.ts';

const T0 = 1_714_564_800_000_000;

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function logMatchConformance(open: OpenTestStore): void {
  describe('logs: the live matcher agrees with filter()', () => {
    it('for generated filters over every field, with and_ and or_', () =>
      withStore(open, async (store, ws) => {
        const rnd = random(42);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
        const runs = [uuid4(), uuid4(), uuid4()];
        const tasks = [uuid4(), uuid4()];
        const workers = [uuid4(), uuid4()];
        const names = ['prefect.flow_runs', 'prefect.task_runs', 'etl.Extract', 'audit'];
        const words = ['connection', 'Timeout', 'retry', 'ok', 'db', 'deploy done', 'a "quoted" word'];
        const logs: NewLog[] = Array.from({ length: 120 }, (_, i) => ({
          workspaceId: ws,
          id: uuid7(),
          created: T0,
          name: pick(names),
          level: pick([0, 10, 20, 25, 30, 40, 50]),
          message: `${pick(words)} ${pick(words)} #${i}`,
          timestamp: T0 + Math.floor(rnd() * 20) * 1000,
          flow_run_id: rnd() < 0.8 ? pick(runs) : null,
          task_run_id: rnd() < 0.5 ? pick(tasks) : null,
          worker_id: rnd() < 0.3 ? pick(workers) : null,
        }));
        await store.logs.append(logs);
        const maybe = <T>(p: number, make: () => T): T | undefined => (rnd() < p ? make() : undefined);
        const someOf = <T>(xs: readonly T[]) => xs.filter(() => rnd() < 0.5);
        const queries = [
          'connection',
          'timeout -retry',
          '+db ok',
          '"deploy done"',
          '!ok',
          'etl',
          'extract +connection',
          'db',
          '"\\"quoted\\""',
        ];
        for (let n = 0; n < 300; n++) {
          // Half the filters run before the text index has caught up, half after.
          if (n === 150) while ((await store.logs.indexText(1000)) > 0);
          const f: LogFilter = { operator: rnd() < 0.3 ? 'or_' : 'and_' };
          f.level = maybe(0.4, () => ({
            ge_: maybe(0.7, () => pick([10, 20, 30])),
            le_: maybe(0.5, () => pick([20, 40])),
          }));
          f.timestamp = maybe(0.3, () => ({
            after_: maybe(0.7, () => T0 + pick([3, 8]) * 1000),
            before_: maybe(0.7, () => T0 + pick([5, 15]) * 1000),
          }));
          f.flow_run_id = maybe(0.4, () => ({ any_: someOf(runs) }));
          f.task_run_id = maybe(0.4, () => ({
            any_: maybe(0.5, () => someOf(tasks)),
            is_null_: maybe(0.5, () => rnd() < 0.5),
          }));
          f.worker_id = maybe(0.25, () => ({
            any_: maybe(0.4, () => someOf(workers)),
            not_any_: maybe(0.4, () => someOf(workers)),
            is_null_: maybe(0.3, () => rnd() < 0.5),
          }));
          f.loggers = maybe(0.3, () => ({ any_: someOf(names) }));
          f.text = maybe(0.4, () => ({ query: pick(queries) }));
          const fromStore = (await store.logs.filter(ws, { filter: f, sort: 'TIMESTAMP_ASC', limit: 200, offset: 0 }))
            .map((r) => r.id)
            .sort();
          const match = compileLogFilter(f);
          const inMemory = logs
            .filter(match)
            .map((l) => l.id)
            .sort();
          assert.deepEqual(inMemory, fromStore, `filter ${JSON.stringify(f)}`);
        }
      }));
  });
}
