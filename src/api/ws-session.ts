/**
 * Prefect's websocket conventions, shared by `/logs/out`, `/events/in` and `/events/out`, and the
 * limits every socket lives within.
 *
 * With the `prefect` subprotocol the first message must be `{"type":"auth","token":…}`, answered
 * with `{"type":"auth_success"}` once the route is ready; anything else closes with 1008, and so
 * does silence past `--ws-handshake-timeout`. Under `--auth` the token (or the upgrade request's
 * `Authorization`) must be a key with the route's scope (`websocket.ts`). Without the subprotocol
 * the socket is in legacy mode: no auth exchange.
 *
 * Messages are buffered from the moment the socket opens: a client may send its auth message and
 * its first payload in one TCP packet, and `ws` then emits both in the same tick — before a route
 * could attach its own listener. Past `--ws-max-buffer` bytes of them the socket is no longer
 * read until the route takes them.
 *
 * Sending is bounded the same way: a socket never holds more than `--ws-max-buffer` bytes unsent
 * (plus the message that crossed it). Live streams wait for `drained()` at that level; a send
 * past it closes the socket with 1013.
 */
import type { WebSocket } from 'ws';

export interface WsLimits {
  /** Most bytes unsent (and received but not yet taken by the route). */
  maxBuffer: number;
  /** How long the auth message, and a subscription's filter, may take. */
  handshakeTimeoutMs: number;
}

export class WsSession {
  readonly socket: WebSocket;
  readonly limits: WsLimits;
  private readonly buffered: string[] = [];
  private bufferedBytes = 0;
  private waiter: ((m: string | null) => void) | undefined;
  private listener: ((m: string) => void) | undefined;
  private drainWaiters: (() => void)[] = [];
  private closeCallbacks: (() => void)[] = [];
  private closed = false;
  private readonly written = () => {
    if (this.drainWaiters.length && this.socket.bufferedAmount < this.limits.maxBuffer / 2) this.wakeDrainWaiters();
  };

  constructor(socket: WebSocket, limits: WsLimits) {
    this.socket = socket;
    this.limits = limits;
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      if (this.listener) this.listener(text);
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(text);
      } else {
        this.buffered.push(text);
        this.bufferedBytes += text.length;
        if (this.bufferedBytes > limits.maxBuffer && !socket.isPaused) socket.pause();
      }
    });
    socket.once('close', () => this.finish());
  }

  /**
   * Ends the session once the socket closes or we start closing it: whatever the route holds for
   * it (subscriptions, queues, waiting reads) goes now, not when a client that does not read
   * completes the closing handshake (up to 30 s later).
   */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.(null);
    this.waiter = undefined;
    this.listener = undefined;
    this.buffered.length = 0;
    this.bufferedBytes = 0;
    this.wakeDrainWaiters();
    for (const fn of this.closeCallbacks.splice(0)) fn();
  }

  private take(): string | undefined {
    const m = this.buffered.shift();
    if (m === undefined) return undefined;
    this.bufferedBytes -= m.length;
    if (this.socket.isPaused && this.bufferedBytes <= this.limits.maxBuffer) this.socket.resume();
    return m;
  }

  /** Messages received but not yet taken by the route. */
  get pending(): number {
    return this.buffered.length;
  }

  /** The next message, or null once the session has ended. */
  next(): Promise<string | null> {
    const m = this.take();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /**
   * The next message if it comes within `--ws-handshake-timeout`; otherwise the socket is closed
   * with 1008 (`No <what> message within N s`) and the result is null.
   */
  async nextInTime(what: string): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this.close(1008, `No ${what} message within ${this.limits.handshakeTimeoutMs / 1000} s`);
        resolve(null);
      }, this.limits.handshakeTimeoutMs);
    });
    try {
      return await Promise.race([this.next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Switches to push mode: `fn` gets every later message, starting with any buffered ones. */
  onMessage(fn: (m: string) => void): void {
    if (this.closed) return;
    this.listener = fn;
    for (let m = this.take(); m !== undefined; m = this.take()) fn(m);
  }

  /** Later messages are read and dropped (a subscription reads one filter per connection). */
  ignoreMessages(): void {
    this.onMessage(() => {});
  }

  /** Runs `fn` once the session ends (at once if it already has). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeCallbacks.push(fn);
  }

  /** Sends `value` as JSON; see `sendText`. */
  send(value: unknown, written?: (err?: Error) => void): void {
    this.sendText(JSON.stringify(value), written);
  }

  /**
   * Sends a text frame; `written` (optional) runs once it has left the process, or failed to. A
   * socket already holding more than `--ws-max-buffer` unsent bytes is closed with 1013 instead.
   */
  sendText(text: string, written?: (err?: Error) => void): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBuffer) {
      this.close(1013, `Client is not reading: more than ${Math.round(this.limits.maxBuffer / 1024)} KiB unsent`);
      return;
    }
    this.socket.send(text, (err) => {
      written?.(err);
      this.written();
    });
  }

  /** Bytes sent by this side and not yet written to the network (a slow reader makes it grow). */
  get unsentBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Bytes a route holds for this socket beyond the socket's own (a live subscriber's queue). */
  heldBytes: () => number = () => 0;

  /** Everything waiting to reach the client: unsent on the socket plus what the route holds. */
  get waitingBytes(): number {
    return this.socket.bufferedAmount + this.heldBytes();
  }

  /** Whether a stream should wait for `drained()` before sending more. */
  get full(): boolean {
    return this.socket.bufferedAmount >= this.limits.maxBuffer;
  }

  /** Resolves once less than half of `--ws-max-buffer` is unsent, or the session has ended. */
  drained(): Promise<void> {
    if (this.closed || this.socket.bufferedAmount < this.limits.maxBuffer / 2) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
    }
    this.finish();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Reads the `auth` message of the `prefect` subprotocol (the first one) and returns its token;
   * anything else, or silence past `--ws-handshake-timeout`, closes the socket with 1008 and
   * gives null. Without the subprotocol (legacy mode) there is no auth message: `{}`.
   */
  async readAuth(): Promise<{ token?: unknown } | null> {
    if (this.socket.protocol !== 'prefect') return this.closed ? null : {};
    const first = await this.nextInTime('auth');
    if (first === null) return null;
    let msg: { type?: unknown; token?: unknown } | undefined;
    try {
      msg = JSON.parse(first);
    } catch {
      msg = undefined;
    }
    if (msg?.type !== 'auth') {
      this.close(1008, "Expected 'auth' message");
      return null;
    }
    return { token: msg.token };
  }

  /** Pings that arrived before the route took the socket, for routes that answer pings themselves. */
  earlyPings: Buffer[] = [];
  /** Run by the websocket layer just before the route takes the socket. */
  beforeRoute: (() => void) | undefined;

  /**
   * Completes the handshake the websocket layer began (it read and checked the `auth` message):
   * answers `auth_success` in `prefect` mode. Resolves true when the route may start its own
   * protocol, false when the socket has closed.
   */
  async handshake(): Promise<boolean> {
    if (this.closed) return false;
    if (this.socket.protocol === 'prefect') this.send({ type: 'auth_success' });
    return !this.closed;
  }
}
