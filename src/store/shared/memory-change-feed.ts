/** An in-process change feed, for engines whose writers all live in this process (SQLite). */
import type { ChangeFeed, ChangeNotice } from '../contract.ts';

export class MemoryChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<(n: ChangeNotice) => void>();

  async notify(notice: ChangeNotice): Promise<void> {
    for (const l of this.listeners) l(notice);
  }

  subscribe(listener: (n: ChangeNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
