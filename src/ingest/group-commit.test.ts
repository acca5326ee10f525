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
  assert.deepEqual(w.batches, [
    [1, 2, 3],
    [10, 11, 12, 13, 14],
  ]);
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
  assert.deepEqual(
    w.batches.flat().sort((a, b) => a - b),
    [1, 2, ...Array.from({ length: 12 }, (_, i) => 100 + i)],
  );
});

it('group commit tells writers in the order they handed items in, even when a later lane commits first', async () => {
  const release = new Map<number, () => void>();
  const gc = new GroupCommit<number>((items) => new Promise<void>((r) => release.set(items[0], r)), {
    concurrency: 2,
    laneMinItems: 1,
  });
  const told: number[] = [];
  const first = gc.add([1]).then(() => told.push(1));
  await new Promise((r) => setImmediate(r));
  const second = gc.add([2]).then(() => told.push(2));
  while (release.size < 2) await new Promise((r) => setImmediate(r));
  release.get(2)!();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(told, [], 'the later commit waits for the earlier one');
  release.get(1)!();
  await Promise.all([first, second]);
  assert.deepEqual(told, [1, 2]);
});

it('group commit retries a failed shared flush per writer: only the writer whose items failed is rejected', async () => {
  const gc = new GroupCommit<number>(async (items) => {
    if (items.includes(-1)) throw new Error('poisoned');
  });
  const results = await Promise.allSettled([gc.add([1, 2]), gc.add([-1]), gc.add([3])]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
});
