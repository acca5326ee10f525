/**
 * The text-search planner must return exactly what a plain scan would, whichever plan it picks.
 * Tiny thresholds make small data reach every plan: index-driven, the ordered walk that fills the
 * page, the walk that sees every filtered row, and the fallback to the index after a walk.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers/engines.ts';
import type { LogFilter, LogQuery, LogRow, NewLog } from '../../domain/logs.ts';
import { matchesText, parseTextQuery } from '../../domain/text-query.ts';
import { openSqliteStore } from './index.ts';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'records', 'timeout', 'connection reset by peer', 'Quokka', 'x'];

function rand(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
}

function oracle(rows: LogRow[], f: LogFilter, query: LogQuery): string[] {
  const q = parseTextQuery(f.text?.query ?? '');
  const out = rows.filter(
    (r) =>
      (f.level?.ge_ === undefined || r.level >= f.level.ge_) &&
      (f.flow_run_id?.any_ === undefined || f.flow_run_id.any_.includes(r.flow_run_id!)) &&
      (f.timestamp?.after_ === undefined || r.timestamp >= f.timestamp.after_) &&
      (f.timestamp?.before_ === undefined || r.timestamp <= f.timestamp.before_) &&
      matchesText(q, `${r.message} ${r.name}`.toLowerCase()),
  );
  const dir = query.sort === 'TIMESTAMP_DESC' ? -1 : 1;
  out.sort((a, b) => dir * (a.timestamp - b.timestamp || a.seq - b.seq));
  return out.slice(query.offset, query.offset + query.limit).map((r) => r.id);
}

describe('sqlite text-search planner', () => {
  it('returns what a scan returns, on every plan', async () => {
    const store = openSqliteStore({
      path: join(tempDir(), 'plan.db'),
      sync: 'normal',
      textPlan: { probe: 4, scan: 12 },
    });
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const r = rand(7);
      const runs = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
      const logs: NewLog[] = [];
      for (let i = 0; i < 400; i++) {
        const words = Array.from({ length: 1 + Math.floor(r() * 4) }, () => WORDS[Math.floor(r() * WORDS.length)]);
        // "Quokka" is rare; "records" common but never at level 40, so a level filter makes it rare.
        const level = r() < 0.2 ? 40 : 20;
        const message = words
          .filter((w) => (w === 'Quokka' ? r() < 0.05 : !(level === 40 && w === 'records')))
          .join(' ');
        logs.push({
          workspaceId: workspace.id,
          id: `log-${String(i).padStart(4, '0')}`,
          created: 0,
          name: i % 7 === 0 ? 'etl.extract' : 'prefect.task_runs',
          level,
          message,
          timestamp: 1_000_000 + Math.floor(r() * 1000) * 1000, // out of insertion order, with ties
          flow_run_id: runs[i % 2],
          task_run_id: null,
          worker_id: null,
        });
      }
      const rows = await store.logs.append(logs);
      // Index most of it; the last rows stay past the watermark and are found by scanning.
      await store.logs.indexText(350);
      assert.equal(await store.logs.textIndexLag(), 50);

      const queries = [
        'quokka',
        'records',
        '"connection reset by peer"',
        'timeout delta',
        '+alpha +beta',
        'records -gamma',
        'reset -records',
        'EXTRACT',
      ];
      const filters: LogFilter[] = [
        { operator: 'and_' },
        { operator: 'and_', level: { ge_: 40 } },
        { operator: 'and_', flow_run_id: { any_: [runs[1]] } },
        { operator: 'and_', timestamp: { after_: 1_200_000, before_: 1_300_000 } },
      ];
      let checked = 0;
      for (const text of queries) {
        for (const base of filters) {
          for (const sort of ['TIMESTAMP_ASC', 'TIMESTAMP_DESC'] as const) {
            for (const [limit, offset] of [
              [5, 0],
              [200, 0],
              [3, 4],
            ]) {
              const filter: LogFilter = { ...base, text: { query: text } };
              const query: LogQuery = { filter, sort, limit, offset };
              const got = (await store.logs.filter(workspace.id, query)).map((x) => x.id);
              assert.deepEqual(
                got,
                oracle(rows, filter, query),
                `${text} ${JSON.stringify(base)} ${sort} ${limit}/${offset}`,
              );
              checked++;
            }
          }
        }
      }
      assert.equal(checked, 192);
    } finally {
      await store.close();
    }
  });
});
