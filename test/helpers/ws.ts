/** A websocket test client speaking Prefect's protocol, with bounded waits. */
import { type ClientOptions, WebSocket } from 'ws';

export interface TestSocket {
  ws: WebSocket;
  /** Every JSON message received so far. */
  messages: Record<string, any>[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until `cond()` holds (or fails after `ms`). */
  until(cond: () => boolean, ms?: number, what?: string): Promise<void>;
  send(value: unknown): void;
}

export function wsUrl(apiUrl: string, path: string): string {
  return apiUrl.replace(/^http/, 'ws') + path;
}

export async function openSocket(
  url: string,
  opts: { subprotocol?: boolean; auth?: boolean; token?: string | null } & ClientOptions = {},
): Promise<TestSocket> {
  const { subprotocol = true, auth = true, token = null, ...clientOpts } = opts;
  const ws = new WebSocket(url, subprotocol ? ['prefect'] : [], clientOpts);
  const messages: Record<string, any>[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const until = async (cond: () => boolean, ms = 60_000, what = 'condition') => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${messages.length} messages)`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const s: TestSocket = { ws, messages, closed, until, send: (v) => ws.send(JSON.stringify(v)) };
  if (subprotocol && auth) {
    s.send({ type: 'auth', token });
    await until(() => messages.length > 0, 60_000, 'auth_success');
    if (messages[0].type !== 'auth_success') throw new Error(`handshake failed: ${JSON.stringify(messages[0])}`);
    messages.shift();
  }
  return s;
}
