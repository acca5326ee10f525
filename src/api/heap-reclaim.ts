/**
 * Gives memory back after many websockets have gone. What a socket held (its unsent frames, rows
 * queued for it) lives long enough to reach V8's old generation; once hundreds of such sockets
 * close, that garbage can be most of the heap, and V8 collects the old generation only when it
 * grows past its limit — which, with little traffic afterwards, may take hours (its idle-time
 * memory reducer does not run in Node). So after a wave of closes, once things are quiet for a
 * moment, one full collection runs; at most one every 30 s (a full collection of a few hundred MB
 * pauses the thread for some tens of milliseconds). See ADR 21.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Closes that make a wave, the quiet after the last one, and the least time between collections. */
const WAVE = 32;
const QUIET_MS = 2000;
const MIN_INTERVAL_MS = 30_000;

let collect: (() => void) | undefined;
let closes = 0;
let timer: NodeJS.Timeout | undefined;
let last = Number.NEGATIVE_INFINITY;

function fullGc(): () => void {
  // `gc` is only exposed to contexts created after the flag is set.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
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
  collect();
}

/** Counts a closed socket; a wave of them schedules a collection. */
export function socketClosed(): void {
  if (++closes < WAVE) return;
  if (timer) timer.refresh();
  else timer = setTimeout(run, QUIET_MS).unref();
}
