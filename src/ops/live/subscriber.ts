/**
 * One live subscriber: matches the rows its hub offers against the subscriber's filter, queues
 * the matches and hands them to its connection while the connection keeps up.
 *
 * A slow client makes the connection's unsent bytes grow; past `maxUnsentBytes` (`--ws-max-buffer`)
 * rows wait in the queue instead. When more than `maxQueued` rows (or `maxQueuedBytes` of them) wait, the
 * subscriber cannot keep up and is closed (`/logs/out` uses 1013) rather than silently dropping
 * rows. A subscriber's memory is therefore bounded. Rows offered before the filter is known are
 * queued unfiltered and filtered when it arrives.
 */
import type { Predicate } from '../../domain/live-match/predicates.ts';
import type { LiveSink } from './hub.ts';

export interface LiveConnection<Row> {
  /** Sends one row; `written` runs once the row has left the process. */
  send(row: Row, written: () => void): void;
  /** Bytes handed to the connection and not yet sent. */
  unsentBytes(): number;
  /** Closes the connection because the subscriber fell behind (`reason` says how far). */
  overflow(reason: string): void;
}

export const LIVE_MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface LiveSubscriberOptions<Row> {
  maxQueued: number;
  maxQueuedBytes?: number;
  maxUnsentBytes: number;
  /** Approximate size of a row in memory, for `maxQueuedBytes`. */
  size: (row: Row) => number;
  /** What the rows are called in the overflow reason ("logs", "events"). */
  noun: string;
}

export class LiveSubscriber<Row> implements LiveSink<Row> {
  private readonly connection: LiveConnection<Row>;
  private readonly opts: Required<LiveSubscriberOptions<Row>>;
  private match: Predicate<Row> | undefined;
  private queue: Row[] = [];
  private head = 0;
  private queuedBytes = 0;
  private stopped = false;
  private readonly written = () => this.flush();

  constructor(connection: LiveConnection<Row>, opts: LiveSubscriberOptions<Row>) {
    this.connection = connection;
    this.opts = { maxQueuedBytes: LIVE_MAX_QUEUED_BYTES, ...opts };
  }

  /** Starts delivery with this filter (rows queued so far are filtered by it). */
  setFilter(match: Predicate<Row>): void {
    this.match = match;
    this.queue = this.queue.slice(this.head).filter(match);
    this.head = 0;
    this.queuedBytes = 0;
    for (const row of this.queue) this.queuedBytes += this.opts.size(row);
    this.flush();
  }

  offer(row: Row): void {
    if (this.stopped || (this.match && !this.match(row))) return;
    this.queue.push(row);
    this.queuedBytes += this.opts.size(row);
    const { maxQueued, maxQueuedBytes, noun } = this.opts;
    if (this.queue.length - this.head > maxQueued || this.queuedBytes > maxQueuedBytes) {
      const reason =
        this.queuedBytes > maxQueuedBytes
          ? `more than ${Math.round(maxQueuedBytes / 1048576)} MiB of ${noun} waiting`
          : `more than ${maxQueued} ${noun} waiting`;
      this.stop();
      this.connection.overflow(`Subscriber cannot keep up: ${reason}`);
      return;
    }
    this.flush();
  }

  private flush(): void {
    if (this.stopped || !this.match) return;
    while (this.head < this.queue.length && this.connection.unsentBytes() < this.opts.maxUnsentBytes) {
      const row = this.queue[this.head];
      this.queue[this.head++] = undefined as Row;
      this.queuedBytes -= this.opts.size(row);
      this.connection.send(row, this.written);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Approximate bytes of the rows waiting for the connection. */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  /** Stops delivery and drops the queue (the connection closed). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
  }
}
