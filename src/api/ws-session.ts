/**
 * Prefect's websocket conventions, shared by `/logs/out`, `/events/in` and `/events/out`.
 *
 * With the `prefect` subprotocol the first message must be `{"type":"auth","token":…}`, answered
 * with `{"type":"auth_success"}` (Sightline has no auth yet, so any token is accepted); anything
 * else closes with 1008. Without the subprotocol the socket is in legacy mode: no auth exchange.
 *
 * Messages are buffered from the moment the socket opens: a client may send its auth message and
 * its first payload in one TCP packet, and `ws` then emits both in the same tick — before a route
 * could attach its own listener.
 */
import type { WebSocket } from 'ws';

export class WsSession {
  readonly socket: WebSocket;
  private readonly buffered: string[] = [];
  private waiter: ((m: string | null) => void) | undefined;
  private listener: ((m: string) => void) | undefined;
  private closed = false;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      if (this.listener) this.listener(text);
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(text);
      } else this.buffered.push(text);
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.(null);
      this.waiter = undefined;
    });
  }

  /** The next message, or null once the socket has closed. */
  next(): Promise<string | null> {
    const m = this.buffered.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Switches to push mode: `fn` gets every later message, starting with any buffered ones. */
  onMessage(fn: (m: string) => void): void {
    this.listener = fn;
    for (const m of this.buffered.splice(0)) fn(m);
  }

  /** Sends `value` as JSON; `written` (optional) runs once it has left the process, or failed to. */
  send(value: unknown, written?: (err?: Error) => void): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(value), written);
  }

  /** Bytes sent by this side and not yet written to the network (a slow reader makes it grow). */
  get unsentBytes(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs the handshake. Resolves true when the route may start its own protocol, false when the
   * socket was closed (by the client, or by us for a bad first message).
   */
  async handshake(): Promise<boolean> {
    if (this.socket.protocol !== 'prefect') return !this.closed;
    const first = await this.next();
    if (first === null) return false;
    let msg: { type?: unknown } | undefined;
    try {
      msg = JSON.parse(first);
    } catch {
      msg = undefined;
    }
    if (msg?.type !== 'auth') {
      this.close(1008, "Expected 'auth' message");
      return false;
    }
    this.send({ type: 'auth_success' });
    return true;
  }
}
