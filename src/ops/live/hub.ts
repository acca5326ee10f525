/**
 * Fans committed rows out to live subscribers (`/logs/out`; the same machinery fits `/events/out`).
 *
 * Change notices carry only positions; the hub reads the rows themselves from the store, once per
 * workspace however many subscribers follow it, in `seq` order, and offers each row to every
 * subscriber whose start position is below it. Nothing is pushed through the feed, so notices
 * may be coalesced, and other instances' commits (PostgreSQL) reach this instance's subscribers.
 * A failed read is retried from the same position: a subscriber never silently misses a row.
 */
import type { ChangeFeed, ChangeNotice, StreamName } from '../../store/contract.ts';

export interface LiveSource<Row extends { seq: number }> {
  readonly stream: StreamName;
  /** A position at or below which every row is committed (`LogStore.lastSeq`). */
  lastSeq(): Promise<number>;
  /** Rows of a workspace with `after < seq <= upTo`, in seq order, at most `limit`. */
  read(workspaceId: string, after: number, upTo: number, limit: number): Promise<Row[]>;
}

/** A subscriber: receives, synchronously and in seq order, each row committed after it joined. */
export interface LiveSink<Row> {
  offer(row: Row): void;
}

interface Channel<Row> {
  workspaceId: string;
  /** Every row up to here has been offered. */
  cursor: number;
  /** Rows up to here are known to be committed. */
  head: number;
  sinks: Map<LiveSink<Row>, number>;
  pumping: boolean;
}

const READ_BATCH = 1000;
const RETRY_MS = 250;

export class LiveHub<Row extends { seq: number }> {
  private readonly source: LiveSource<Row>;
  private readonly channels = new Map<string, Channel<Row>>();
  /** The latest position announced per workspace, kept even while nobody listens. */
  private readonly heads = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly onError: (err: unknown) => void;
  private closed = false;

  constructor(feed: ChangeFeed, source: LiveSource<Row>, opts: { onError?: (err: unknown) => void } = {}) {
    this.source = source;
    this.onError = opts.onError ?? (() => {});
    this.unsubscribe = feed.subscribe((n) => this.notice(n));
  }

  private notice(n: ChangeNotice): void {
    // Account-scope events (no workspace) have no workspace channel to feed.
    if (n.stream !== this.source.stream || n.workspaceId === null) return;
    if ((this.heads.get(n.workspaceId) ?? 0) < n.maxSeq) this.heads.set(n.workspaceId, n.maxSeq);
    const ch = this.channels.get(n.workspaceId);
    if (ch && ch.head < n.maxSeq) {
      ch.head = n.maxSeq;
      void this.pump(ch);
    }
  }

  /**
   * Adds `sink` for every row committed from now on; resolves, with the unsubscribe function,
   * once its start position is fixed.
   */
  async subscribe(workspaceId: string, sink: LiveSink<Row>): Promise<() => void> {
    const start = await this.source.lastSeq();
    let ch = this.channels.get(workspaceId);
    if (!ch) {
      ch = { workspaceId, cursor: start, head: start, sinks: new Map(), pumping: false };
      this.channels.set(workspaceId, ch);
    }
    // A notice that arrived while `lastSeq` was read is in `heads`, not yet in a new channel.
    ch.head = Math.max(ch.head, start, this.heads.get(workspaceId) ?? 0);
    ch.sinks.set(sink, start);
    void this.pump(ch);
    const channel = ch;
    return () => {
      channel.sinks.delete(sink);
      if (channel.sinks.size === 0 && this.channels.get(workspaceId) === channel) this.channels.delete(workspaceId);
    };
  }

  private async pump(ch: Channel<Row>): Promise<void> {
    if (ch.pumping) return;
    ch.pumping = true;
    try {
      while (!this.closed && ch.sinks.size && ch.cursor < ch.head) {
        const upTo = ch.head;
        const rows = await this.source.read(ch.workspaceId, ch.cursor, upTo, READ_BATCH);
        for (const row of rows) {
          for (const [sink, start] of ch.sinks) if (row.seq > start) sink.offer(row);
        }
        ch.cursor = rows.length < READ_BATCH ? upTo : rows[rows.length - 1].seq;
        // Let sockets drain between batches: an engine may read synchronously, and a burst must
        // not be handed to subscribers faster than their connections can take it.
        if (ch.cursor < ch.head) await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      this.onError(err);
      setTimeout(() => void this.pump(ch), RETRY_MS).unref();
    } finally {
      ch.pumping = false;
    }
  }

  /** Number of subscribers (all workspaces). */
  get size(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.sinks.size;
    return n;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.channels.clear();
  }
}
