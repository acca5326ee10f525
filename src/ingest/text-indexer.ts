/**
 * Keeps the log text index caught up, off the acknowledgement path: a loop that indexes a bounded
 * chunk at a time and yields between chunks, so ingest and queries are never blocked for long.
 */
import type { Store } from '../store/contract.ts';

export class TextIndexer {
  private readonly store: Store;
  private readonly chunk: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(store: Store, opts: { chunk?: number } = {}) {
    this.store = store;
    this.chunk = opts.chunk ?? 5_000;
  }

  start(): void {
    this.schedule(50);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let n = 0;
    try {
      n = await this.store.logs.indexText(this.chunk);
    } catch {
      // The next tick retries; a failing index never blocks ingest or makes searches incomplete.
    }
    this.schedule(n === this.chunk ? 0 : 200);
  }

  /** Indexes everything pending now (used by tests and the benchmark to measure catch-up). */
  async catchUp(): Promise<void> {
    while ((await this.store.logs.indexText(this.chunk)) > 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
