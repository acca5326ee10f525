/**
 * Where consumed operations go. `nativeTarget` calls Sightline's own API in-process through its
 * router (Fastify `inject`: same validation, errors and headers as over HTTP, answers streamed);
 * `httpTarget` calls a remote API with a 30 s timeout (a download may take longer while bytes
 * keep flowing) and no retries. Network failures and timeouts become `bad_gateway` /
 * `gateway_timeout` errors that name the upstream origin and never a credential.
 */
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { addressOrigin } from '../api/link-origin.ts';
import { AppError } from '../domain/errors.ts';
import { callerAddress, callerHeaders } from './caller-context.ts';

export interface OutRequest {
  method: string;
  /** Path and query, relative to the target's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface InResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Readable;
}

/** Account and workspace ids used when a tool call leaves them out. */
export interface Defaults {
  account_id?: string;
  workspace_id?: string;
}

export interface Target {
  /** `true` for the in-process native API (tools are then not open-world). */
  readonly local: boolean;
  /** For messages: the upstream origin, or "the local API". */
  readonly label: string;
  /** `signal`: the caller gave up (an MCP cancellation); the answer is no longer read. */
  send(req: OutRequest, signal?: AbortSignal): Promise<InResponse>;
  defaults(): Promise<Defaults>;
}

function flatHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * The local native API. `perCaller` (under `--auth`): the account and workspace a call leaves out
 * are the caller's first reachable ones (`/api/me/workspaces` with its key), not the server's
 * default ones, which the caller may not reach.
 */
export function nativeTarget(app: FastifyInstance, defaults: Defaults, perCaller = false): Target {
  const target: Target = {
    local: true,
    label: 'the local API',
    async send(req, signal) {
      // Links in the answers (next_page) lead to the native API: the request names its listener
      // (inject would say localhost:80), whatever Host the gateway's own client sent.
      const addr = app.server.address();
      const host = addr && typeof addr === 'object' ? new URL(addressOrigin(addr.address, addr.port)).host : undefined;
      // The gateway's caller, so that the native API applies its key (scope, tenancy) as directly.
      const headers = { ...req.headers, ...callerHeaders(), ...(host ? { host } : {}) };
      const res = await app.inject({
        method: req.method as 'GET',
        url: req.path,
        headers,
        payload: req.body,
        payloadAsStream: true,
        // What the call writes counts against the caller's address (without --auth) as directly.
        remoteAddress: callerAddress(),
      });
      const body = res.stream();
      // In-process work cannot be interrupted; a cancelled caller's answer is dropped unread.
      signal?.addEventListener('abort', () => body.destroy(), { once: true });
      return { status: res.statusCode, headers: flatHeaders(res.headers), body };
    },
    async defaults() {
      if (!perCaller || !callerHeaders().authorization) return defaults;
      const res = await target.send({
        method: 'GET',
        path: '/api/me/workspaces',
        headers: { accept: 'application/json' },
      });
      const text = await readAll(res.body, 1 << 20);
      if (res.status !== 200) return {};
      const first = (JSON.parse(text.toString('utf8')) as Defaults[])[0];
      return first ? { account_id: first.account_id, workspace_id: first.workspace_id } : {};
    },
  };
  return target;
}

export const UPSTREAM_TIMEOUT_MS = 30_000;

/** The part of a URL that may appear in messages: scheme, host and port. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the upstream';
  }
}

class Timeout extends Error {}

/** Keeps a download alive while bytes flow; aborts after `ms` without any. */
function idleGuard(body: Readable, ms: number, onIdle: () => void): Readable {
  const timer = setTimeout(onIdle, ms);
  const guard = new Transform({
    transform(chunk, _enc, cb) {
      timer.refresh();
      cb(null, chunk);
    },
    flush(cb) {
      clearTimeout(timer);
      cb();
    },
  });
  const stop = () => clearTimeout(timer);
  guard.on('close', stop);
  body.on('error', (err) => {
    stop();
    guard.destroy(err);
  });
  return body.pipe(guard);
}

export function httpTarget(opts: {
  /** Origin plus any path prefix before `/api` (no trailing slash). */
  base: string;
  timeoutMs?: number;
  /** Known defaults (from a workspace URL), or headers for discovering them via `/api/me/workspaces`. */
  defaults?: Defaults;
  discoveryHeaders?: Record<string, string>;
}): Target {
  const timeoutMs = opts.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
  const origin = safeOrigin(opts.base);
  let discovered: Promise<Defaults> | undefined;

  async function send(req: OutRequest, signal?: AbortSignal): Promise<InResponse> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new Timeout()), timeoutMs);
    // A cancelled caller aborts the upstream request (and a download in flight).
    signal?.addEventListener('abort', () => ctrl.abort(signal.reason), { once: true });
    let res: Response;
    try {
      res = await fetch(opts.base + req.path, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: ctrl.signal,
        redirect: 'manual',
      });
    } catch (err) {
      clearTimeout(timer);
      if (signal?.aborted) throw new AppError('gateway_timeout', `the call to ${origin} was cancelled`);
      if (ctrl.signal.aborted)
        throw new AppError(
          'gateway_timeout',
          `${origin} did not answer within ${timeoutMs % 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`}`,
        );
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new AppError(
        'bad_gateway',
        `${origin} is unreachable (${cause?.code ?? cause?.message ?? (err as Error).message})`,
      );
    }
    clearTimeout(timer);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      // fetch has already decoded the body: its encoding and length no longer apply.
      if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
    });
    const raw = res.body ? Readable.fromWeb(res.body as never) : Readable.from([]);
    const body = idleGuard(raw, timeoutMs, () => ctrl.abort(new Timeout()));
    return { status: res.status, headers, body };
  }

  async function discover(): Promise<Defaults> {
    try {
      const res = await send({
        method: 'GET',
        path: '/api/me/workspaces',
        headers: { accept: 'application/json', ...opts.discoveryHeaders },
      });
      const text = await readAll(res.body, 1 << 20);
      if (res.status !== 200) return {};
      const list = JSON.parse(text.toString('utf8')) as { account_id?: string; workspace_id?: string }[];
      const first = Array.isArray(list) ? list[0] : undefined;
      return first ? { account_id: first.account_id, workspace_id: first.workspace_id } : {};
    } catch {
      return {};
    }
  }

  return {
    local: false,
    label: origin,
    send,
    defaults() {
      if (opts.defaults?.account_id) return Promise.resolve(opts.defaults);
      discovered ??= discover();
      return discovered;
    },
  };
}

/** Reads a body to the end, failing past `limit` bytes. */
export async function readAll(body: Readable, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit) {
      body.destroy();
      throw new AppError('bad_gateway', `the upstream answer is larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * Splits an upstream URL: a full workspace URL (`…/api/accounts/A/workspaces/W`) gives the base
 * and the default account and workspace; otherwise the base is everything before `/api`.
 */
export function parseUpstream(url: string): { base: string; defaults: Defaults } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('invalid_input', `--upstream must be an http(s) URL, got '${url}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new AppError('invalid_input', `--upstream must be an http(s) URL, got '${u.protocol}'`);
  const path = u.pathname.replace(/\/+$/, '');
  const m = /^(.*?)\/api(?:\/accounts\/([^/]+)(?:\/workspaces\/([^/]+))?)?(?:\/.*)?$/.exec(path);
  const prefix = m ? m[1] : path;
  const defaults: Defaults = m?.[2] ? { account_id: m[2], workspace_id: m[3] } : {};
  return { base: `${u.origin}${prefix}`, defaults };
}
