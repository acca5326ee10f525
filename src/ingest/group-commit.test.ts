import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GroupCommit } from './group-commit.ts';

/** A write that takes until released, recording what it was given and how many ran at once. */
function slowWriter() {
  const batches: number[][] = [];
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async (items: number[]) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((r) => waiting.push(r));
    batches.push(items);
    inFlight--;
  };
  const release = async () => {
    while (waiting.length || inFlight) {
      for (const r of waiting.splice(0)) r();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { write, batches, release, max: () => maxInFlight };
}

it('group commit batches concurrent writers into one transaction at a time by default', async () => {
  const w = slowWriter();
  const gc = new GroupCommit<number>(w.write);
  const acks = [gc.add([1]), gc.add([2, 3])];
  await new Promise((r) => setImmediate(r));
  const later = Array.from({ length: 5 }, (_, i) => gc.add([10 + i]));
  await w.release();
  await Promise.all([...acks, ...later]);
  assert.equal(w.max(), 1);
  assert.deepEqual(w.batches, [[1, 2, 3], [10, 11, 12, 13, 14]]);
});

it('group commit runs up to `concurrency` flushes at once, only while enough items wait', async () => {
  const w = slowWriter();
  const gc = new GroupCommit<number>(w.write, { concurrency: 3, laneMinItems: 4 });
  const light = [gc.add([1]), gc.add([2])];
  await new Promise((r) => setImmediate(r));
  assert.equal(w.max(), 1, 'few waiting items do not open another lane');
  const heavy = Array.from({ length: 6 }, (_, i) => gc.add([100 + 2 * i, 101 + 2 * i]));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.ok(w.max() > 1, 'a backlog opens more lanes');
  await w.release();
  await Promise.all([...light, ...heavy]);
  await gc.close();
  assert.ok(w.max() <= 3);
  assert.deepEqual(w.batches.flat().sort((a, b) => a - b), [1, 2, ...Array.from({ length: 12 }, (_, i) => 100 + i)]);
});
