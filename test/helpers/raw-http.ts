/**
 * HTTP at the byte level, for what ordinary clients will not send: duplicate headers, odd
 * framing, slow or oversized bodies. Every wait is bounded.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first response in `data`, or undefined while it is incomplete. */
export function parseResponse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once the server has closed the connection (with what it sent). */
  closed: Promise<Buffer>;
  /** Writes and resolves once the bytes were handed to the kernel (rejects on EPIPE and the like). */
  write(data: string | Buffer): Promise<void>;
  /** Waits for a complete response (failing after `ms`). */
  response(ms?: number): Promise<RawResponse>;
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const received = () => Buffer.concat(chunks);
    const closed = new Promise<Buffer>((r) => socket.once('close', () => r(received())));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        received,
        closed,
        write: (data) => new Promise((ok, fail) => socket.write(data, (err) => (err ? fail(err) : ok()))),
        async response(ms = 10_000) {
          const deadline = Date.now() + ms;
          for (;;) {
            const r = parseResponse(received());
            if (r) return r;
            if (Date.now() > deadline || socket.destroyed)
              throw new Error(`no complete response: ${JSON.stringify(received().toString('latin1').slice(0, 300))}`);
            await new Promise((w) => setTimeout(w, 10));
          }
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** Sends `data` on a new connection and returns the first response. */
export async function rawRequest(port: number, data: string | Buffer): Promise<RawResponse> {
  const c = await rawConnect(port);
  try {
    await c.write(data);
    return await c.response();
  } finally {
    c.socket.destroy();
  }
}

/** Resolves with how the connection ended, failing if the server keeps it open past `ms`. */
export async function closedWithin(c: RawConnection, ms: number): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server kept the connection open for ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([c.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
