/**
 * Keeps the log text index caught up, off the acknowledgement path: a loop that indexes a bounded
 * chunk at a time and yields between chunks, so ingest and queries are never blocked for long.
 * When indexing shares the thread with ingest (engines without an off-thread indexer), the indexer
 * takes at most `busyShare` of it while ingest is busy (the index then lags and searches scan the
 * unindexed tail) and catches up at full speed when ingest pauses.
 */
import type { Store } from '../store/contract.ts';

/** How often an idle indexer looks for new logs. */
const IDLE_POLL_MS = 200;

export interface TextIndexerOptions {
  /** Logs per chunk (one transaction). Default: 5000 off-thread, 1000 (~15 ms of work) on it. */
  chunk?: number;
  /** True while ingest is busy; default: never. */
  busy?: () => boolean;
  /** Share of the thread the indexer may take while `busy()` (0 < share ≤ 1). */
  busyShare?: number;
}

export class TextIndexer {
  private readonly store: Store;
  private readonly chunk: number;
  private readonly busy: () => boolean;
  private readonly busyShare: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(store: Store, opts: TextIndexerOptions = {}) {
    this.store = store;
    // Indexing on another thread takes nothing from ingest: no need to ration it or keep chunks short.
    const offThread = store.logs.textIndexOffThread === true;
    this.chunk = opts.chunk ?? (offThread ? 5_000 : 1_000);
    this.busy = opts.busy ?? (() => false);
    this.busyShare = offThread ? 1 : Math.min(1, Math.max(0.05, opts.busyShare ?? 0.35));
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
    const started = performance.now();
    let n = 0;
    try {
      n = await this.store.logs.indexText(this.chunk);
    } catch {
      // The next tick retries; a failing index never blocks ingest or makes searches incomplete.
    }
    if (n < this.chunk) return this.schedule(IDLE_POLL_MS);
    const spent = performance.now() - started;
    this.schedule(this.busy() ? (spent * (1 - this.busyShare)) / this.busyShare : 0);
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
