/** How a retention sweep shares the server with ingest (ADR 46). */
const yieldToIngest = () => new Promise<void>((resolve) => setImmediate(resolve));

/** While ingest is busy, a batch aims at this long a transaction… */
const BUSY_SLICE_MS = 15;
/** …and the sweep takes at most this share of the time, ingest the rest (ADR 46). */
const BUSY_SHARE = 0.25;
const MIN_BATCH = 50;
const FIRST_BUSY_BATCH = 500;
const BUSY_MEMORY_MS = 2000;

/**
 * Paces a sweep's batches: full `--retention-batch` batches back to back while ingest is quiet;
 * while it is busy, batches sized to last about `BUSY_SLICE_MS` with pauses between them, so that
 * a deletion never holds ingest's commits up for long (on SQLite they share one thread and one
 * write lock; on PostgreSQL they share the disk and the table's indexes).
 */
export class Pacer {
  private size: number;
  private readonly max: number;
  private readonly busy: () => boolean;
  /** When ingest was last seen busy (ms, `performance.now()`). */
  private busyAt = Number.NEGATIVE_INFINITY;

  constructor(opts: { batch: number; busy?: () => boolean }) {
    this.max = opts.batch;
    this.size = opts.batch;
    this.busy = opts.busy ?? (() => false);
  }

  /** Runs `work` with this batch's row limit, then yields to ingest; `done` when it removed fewer. */
  async batch(work: (limit: number) => Promise<number>): Promise<{ n: number; done: boolean }> {
    if (this.pacing() && this.size > FIRST_BUSY_BATCH) this.size = FIRST_BUSY_BATCH;
    const limit = this.size;
    const n = await this.step(() => work(limit));
    return { n, done: n < limit };
  }

  /** Runs one unit of work (a batch, a run tree), then yields to ingest for as long as pacing asks. */
  async step<T>(work: () => Promise<T>): Promise<T> {
    this.pacing();
    const started = performance.now();
    const r = await work();
    const spent = performance.now() - started;
    // A step blocks SQLite's thread: ingest looks idle right after one, so busy is remembered a while.
    if (!this.pacing()) {
      this.size = this.max;
      await yieldToIngest();
      return r;
    }
    const scaled = Math.round((this.size * BUSY_SLICE_MS) / Math.max(spent, 1));
    this.size = Math.max(MIN_BATCH, Math.min(this.max, scaled, this.size * 2));
    await new Promise((resolve) => setTimeout(resolve, (spent * (1 - BUSY_SHARE)) / BUSY_SHARE));
    return r;
  }

  private pacing(): boolean {
    const now = performance.now();
    if (this.busy()) this.busyAt = now;
    return now - this.busyAt < BUSY_MEMORY_MS;
  }
}
