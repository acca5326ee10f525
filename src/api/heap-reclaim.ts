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

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let collect: Collect | undefined;

function fullGc(): Collect {
  // `gc` is only exposed to contexts created after the flag is set.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Collect;
}

export class HeapReclaimer {
  private readonly log: { debug(obj: object, msg: string): void };
  private closes = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = Number.NEGATIVE_INFINITY;

  constructor(log: { debug(obj: object, msg: string): void }) {
    this.log = log;
  }

  /** Counts a closed socket; a wave of them schedules a collection. */
  socketClosed(): void {
    if (++this.closes < WAVE) return;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.run(), QUIET_MS).unref();
  }

  private run(): void {
    this.timer = undefined;
    const wait = this.last + MIN_INTERVAL_MS - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.run(), wait).unref();
      return;
    }
    const sockets = this.closes;
    this.closes = 0;
    this.last = performance.now();
    const before = process.memoryUsage().rss;
    collect ??= fullGc();
    // The last-resort flavour also hands V8's freed pages back to the system at once; a regular
    // full collection leaves them mapped until a later collection.
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const ms = Math.round(performance.now() - this.last);
    this.log.debug(
      { sockets, ms, rssBeforeMb: Math.round(before / 1e6), rssAfterMb: Math.round(process.memoryUsage().rss / 1e6) },
      'heap reclaimed after closed websockets',
    );
  }
}
