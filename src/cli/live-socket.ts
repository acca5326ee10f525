/**
 * The client side of Prefect's live streams (`/logs/out`, `/events/out`): connect with the
 * `prefect` subprotocol, authenticate, send the filter, then receive. Messages that arrive before
 * the caller is ready (`start`) are kept, so a command can read stored rows first and lose
 * nothing at the seam. The server fixes the stream's start position before `auth_success`.
 */
import WebSocket from 'ws';
import { AppError } from '../domain/errors.ts';

export interface LiveSocket {
  /** Delivers buffered messages, then every later one, to `fn`. */
  start(fn: (message: Record<string, unknown>) => void): void;
  /** Resolves when the connection ends, with the server's close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

export function openLiveSocket(
  url: string,
  filter: unknown,
  env: NodeJS.ProcessEnv,
  key?: string,
): Promise<LiveSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['prefect'], { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const buffered: Record<string, unknown>[] = [];
    let handler: ((m: Record<string, unknown>) => void) | undefined;
    let ready = false;
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    const fail = (message: string) => {
      if (ready) return;
      ready = true;
      ws.terminate();
      reject(new AppError('unavailable', message));
    };
    const timer = setTimeout(
      () => fail(`no answer from ${url} within ${HANDSHAKE_TIMEOUT_MS / 1000} s`),
      HANDSHAKE_TIMEOUT_MS,
    );
    ws.on('error', (err) => fail(`cannot open ${url}: ${(err as { code?: string }).code ?? err.message}`));
    ws.on('unexpected-response', (_req, res) => fail(`${url} answered HTTP ${res.statusCode}`));
    void closed.then(({ code, reason }) =>
      fail(`${url} closed the connection during the handshake (${code} ${reason})`),
    );
    ws.on('open', () => {
      // The key (a server run with --auth needs one), else Prefect's auth string.
      ws.send(JSON.stringify({ type: 'auth', token: key ?? (env.PREFECT_API_AUTH_STRING || null) }));
    });
    ws.on('message', (data) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!ready) {
        if (msg.type !== 'auth_success')
          return fail(`unexpected first message from ${url}: ${data.toString().slice(0, 100)}`);
        ready = true;
        clearTimeout(timer);
        ws.send(JSON.stringify({ type: 'filter', filter }));
        resolve({
          start(fn) {
            handler = fn;
            for (const m of buffered.splice(0)) fn(m);
          },
          closed,
          close: () => ws.close(1000),
        });
        return;
      }
      if (handler) handler(msg);
      else buffered.push(msg);
    });
  });
}
