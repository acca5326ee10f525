/**
 * Gives memory back after many websockets have gone. What a socket held (its unsent frames, rows
 * queued for it) lives long enough to reach V8's old generation; once hundreds of such sockets
 * close, that garbage can be most of the heap, and V8 collects the old generation only when it
 * grows past its limit — which, with little traffic afterwards, may take hours (its idle-time
 * memory reducer does not run in Node). So after a wave of closes, once things are quiet for a
 * moment, one full collection runs; at most one every 10 s (one after 200 slow subscribers left
 * paused the thread for about 100 ms). See ADR 21.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Closes that make a wave, the quiet after the last one, the least time between collections. */
const WAVE = 32;
const QUIET_MS = 2000;
const MIN_INTERVAL_MS = 10_000;

let collect: ((options?: object) => void) | undefined;
let closes = 0;
let timer: NodeJS.Timeout | undefined;
let last = Number.NEGATIVE_INFINITY;

function fullGc(): (options?: object) => void {
  // `gc` is only exposed to contexts created after the flag is set.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as (options?: object) => void;
}

function run(): void {
  timer = undefined;
  const wait = last + MIN_INTERVAL_MS - performance.now();
  if (wait > 0) {
    timer = setTimeout(run, wait).unref();
    return;
  }
  closes = 0;
  last = performance.now();
  collect ??= fullGc();
  // The last-resort flavour also hands V8's freed pages back to the system at once; a regular
  // full collection leaves them mapped until a later collection.
  const t = performance.now();
  const before = process.memoryUsage();
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const after = process.memoryUsage();
  process.stderr.write(`reclaim: ${(performance.now() - t).toFixed(0)} ms, heap ${(before.heapUsed / 1e6).toFixed(0)} -> ${(after.heapUsed / 1e6).toFixed(0)} MB, rss ${(before.rss / 1e6).toFixed(0)} -> ${(after.rss / 1e6).toFixed(0)}\n`);
}

/** Counts a closed socket; a wave of them schedules a collection. */
export function socketClosed(): void {
  if (++closes < WAVE) return;
  if (timer) timer.refresh();
  else timer = setTimeout(run, QUIET_MS).unref();
}
