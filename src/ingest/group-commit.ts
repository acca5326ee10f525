/**
 * Group commit: concurrent writers hand their items to one queue; the queue is flushed as a
 * single store transaction as soon as the previous flush has finished (or when it grows past
 * `maxItems`). Each writer's promise resolves only after the transaction holding its items has
 * committed, so an acknowledgement always means "durable". Under load many requests share one
 * commit; when idle a write commits on the next tick.
 *
 * Writers are told in the order they handed their items in: a later flush that commits first
 * waits for the earlier ones before it resolves its writers.
 *
 * One request's items can never fail another's: when a shared transaction fails, each request of
 * it is written again on its own, so only the request that caused the failure gets the error
 * (unless the store is unavailable, which every request would meet again).
 *
 * An engine that can run several write transactions at once (PostgreSQL) gets up to
 * `concurrency` flushes in flight: a further one starts only while at least `laneMinItems` items
 * wait, so light load keeps batching into one transaction at a time.
 */
import { AppError } from '../domain/errors.ts';

export interface GroupCommitOptions {
  maxItems?: number;
  concurrency?: number;
  laneMinItems?: number;
  /** Told the size of each committed transaction (metrics). */
  onCommit?: (n: number) => void;
}

interface Pending<T> {
  items: T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private readonly write: (items: T[]) => Promise<void>;
  private readonly maxItems: number;
  private readonly concurrency: number;
  private readonly laneMinItems: number;
  private readonly onCommit: (n: number) => void;
  private queue: Pending<T>[] = [];
  private queued = 0;
  /** Flushes in flight; counted synchronously so that an item never waits on a finishing lane. */
  private lanes = 0;
  private readonly flushing = new Set<Promise<void>>();
  private closed = false;
  /** Settles once every flush begun so far has told its writers. */
  private told: Promise<void> = Promise.resolve();
  private lastAdd = Number.NEGATIVE_INFINITY;

  constructor(write: (items: T[]) => Promise<void>, opts: GroupCommitOptions = {}) {
    this.write = write;
    this.maxItems = opts.maxItems ?? 20_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.laneMinItems = opts.laneMinItems ?? 1000;
    this.onCommit = opts.onCommit ?? (() => {});
  }

  add(items: T[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('writer is closed'));
    if (items.length === 0) return Promise.resolve();
    this.lastAdd = performance.now();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queued += items.length;
      if (this.lanes === 0 || (this.lanes < this.concurrency && this.queued >= this.laneMinItems)) {
        this.lanes++;
        const d = this.drain();
        this.flushing.add(d);
        void d.then(() => this.flushing.delete(d));
      }
    });
  }

  private async drain(): Promise<void> {
    // Let the other requests that arrived in this turn of the event loop join the batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length) {
      const batch: Pending<T>[] = [];
      let n = 0;
      while (this.queue.length && (n === 0 || n + this.queue[0].items.length <= this.maxItems)) {
        const p = this.queue.shift()!;
        batch.push(p);
        n += p.items.length;
      }
      this.queued -= n;
      const before = this.told;
      let told!: () => void;
      this.told = new Promise<void>((r) => (told = r));
      const outcomes = await this.commit(batch);
      // Writers hear in the order they handed their items in, even when a later lane committed
      // first: an acknowledgement then also covers everything handed in before it (a websocket
      // pong acknowledges every earlier frame).
      await before;
      for (const o of outcomes) o();
      told();
    }
    this.lanes--;
  }

  /** Writes a batch; returns how to tell each writer the outcome. */
  private async commit(batch: Pending<T>[]): Promise<(() => void)[]> {
    const items = batch.length === 1 ? batch[0].items : batch.flatMap((p) => p.items);
    try {
      await this.write(items);
      this.onCommit(items.length);
      return batch.map((p) => () => p.resolve());
    } catch (err) {
      if (batch.length === 1 || (err instanceof AppError && err.code === 'unavailable'))
        return batch.map((p) => () => p.reject(err));
      const outcomes: (() => void)[] = [];
      for (const p of batch) {
        outcomes.push(
          await this.write(p.items).then(
            () => {
              this.onCommit(p.items.length);
              return () => p.resolve();
            },
            (e) => () => p.reject(e),
          ),
        );
      }
      return outcomes;
    }
  }

  /** Waits for everything queued so far to be committed, then refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing.size) await Promise.all(this.flushing);
  }

  get backlog(): number {
    return this.queued;
  }

  /** Milliseconds since items were last handed in (Infinity if never): how busy ingest is. */
  get idleMs(): number {
    return performance.now() - this.lastAdd;
  }
}
