/**
 * A small keep-alive HTTP client over `node:http` for load generation: one agent with at most
 * `connections` sockets, loopback targets only, a timeout on every request, and a pool helper that
 * runs N sequential clients side by side.
 */
import http from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
  /** Wall time from sending the request to the last byte of the response, ms. */
  ms: number;
  headers: http.IncomingHttpHeaders;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Headers every client of a server's address sends: its key, when it serves with `--auth`. */
const credentials = new Map<string, Record<string, string>>();

export function setCredentials(url: string, headers: Record<string, string>): void {
  credentials.set(new URL(url).host, headers);
}

export class HttpClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(baseUrl: string, opts: { connections?: number; timeoutMs?: number } = {}) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    if (!LOOPBACK.has(this.base.hostname))
      throw new Error(`benchmarks only talk to loopback, not ${this.base.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections ?? 1 });
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.headers = credentials.get(this.base.host) ?? {};
  }

  /** `path` is relative to the base URL (no leading slash): `logs/`, `logs/filter`. */
  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    const url = new URL(path, this.base);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...this.headers,
            ...headers,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like `request`, but an answer other than 2xx or 304 is an error (the benchmark never measures failures). */
  async ok(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<HttpResult> {
    const r = await this.request(method, path, body, headers);
    if ((r.status < 200 || r.status > 299) && r.status !== 304)
      throw new Error(`${method} ${path} → ${r.status}: ${r.body.slice(0, 500)}`);
    return r;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Runs `clients` loops side by side; each loop calls `next(client)` until it returns undefined
 * (no more work) or the deadline passes, and awaits the returned promise before asking again.
 * The first error stops every loop and is rethrown.
 */
export async function runClients(
  clients: number,
  next: (client: number) => Promise<unknown> | undefined,
  opts: { deadline?: number } = {},
): Promise<{ stoppedByDeadline: boolean }> {
  let failed: unknown;
  let stoppedByDeadline = false;
  const loop = async (c: number) => {
    while (failed === undefined) {
      if (opts.deadline !== undefined && performance.now() > opts.deadline) {
        stoppedByDeadline = true;
        return;
      }
      const p = next(c);
      if (p === undefined) return;
      try {
        await p;
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  if (failed !== undefined) throw failed;
  return { stoppedByDeadline };
}
