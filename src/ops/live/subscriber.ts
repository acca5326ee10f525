/**
 * One live subscriber: matches the rows its hub offers against the subscriber's filter, queues
 * the matches and hands them to its connection while the connection keeps up.
 *
 * A slow client makes the connection's unsent bytes grow; past `maxUnsentBytes` rows wait in the
 * queue instead. When more than `maxQueued` rows wait, the subscriber cannot keep up and is
 * closed (`/logs/out` uses 1013) rather than silently dropping rows. Rows offered before the
 * filter is known are queued unfiltered and filtered when it arrives.
 */
import type { Predicate } from '../../domain/live-match/predicates.ts';
import type { LiveSink } from './hub.ts';

export interface LiveConnection<Row> {
  /** Sends one row; `written` runs once the row has left the process. */
  send(row: Row, written: () => void): void;
  /** Bytes handed to the connection and not yet sent. */
  unsentBytes(): number;
  /** Closes the connection because the subscriber fell behind. */
  overflow(limit: number): void;
}

export const LIVE_MAX_UNSENT_BYTES = 1024 * 1024;

export class LiveSubscriber<Row> implements LiveSink<Row> {
  private readonly connection: LiveConnection<Row>;
  private readonly maxQueued: number;
  private readonly maxUnsentBytes: number;
  private match: Predicate<Row> | undefined;
  private queue: Row[] = [];
  private head = 0;
  private stopped = false;
  private readonly written = () => this.flush();

  constructor(connection: LiveConnection<Row>, opts: { maxQueued: number; maxUnsentBytes?: number }) {
    this.connection = connection;
    this.maxQueued = opts.maxQueued;
    this.maxUnsentBytes = opts.maxUnsentBytes ?? LIVE_MAX_UNSENT_BYTES;
  }

  /** Starts delivery with this filter (rows queued so far are filtered by it). */
  setFilter(match: Predicate<Row>): void {
    this.match = match;
    this.queue = this.queue.slice(this.head).filter(match);
    this.head = 0;
    this.flush();
  }

  offer(row: Row): void {
    if (this.stopped || (this.match && !this.match(row))) return;
    this.queue.push(row);
    const queued = this.queue.length - this.head;
    if (queued > this.maxQueued) {
      this.stop();
      this.connection.overflow(this.maxQueued);
      return;
    }
    this.flush();
  }

  private flush(): void {
    if (this.stopped || !this.match) return;
    while (this.head < this.queue.length && this.connection.unsentBytes() < this.maxUnsentBytes) {
      const row = this.queue[this.head];
      this.queue[this.head++] = undefined as Row;
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

  /** Stops delivery and drops the queue (the connection closed). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.head = 0;
  }
}
