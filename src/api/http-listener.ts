/**
 * What every HTTP listener (native API, REST gateway, MCP) shares: Node's server with the
 * configured timeouts and its strict parser, a check for the ambiguous requests that parser lets
 * through, and the wording of the answer to a body over `--max-body`.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ServeConfig } from '../config/schema.ts';
import { AppError, type ErrorCode } from '../domain/errors.ts';
import { browserGuard, type GuardConfig } from './browser-guard.ts';

export type ListenerConfig = Pick<ServeConfig, 'request-timeout' | 'headers-timeout' | 'keep-alive-timeout'> &
  GuardConfig;

/** Node's server options for `config`'s timeouts (seconds; 0 = none). */
export function serverOptions(config: ListenerConfig): ServerOptions {
  const request = config['request-timeout'] * 1000;
  // Node refuses a headers timeout longer than the request timeout.
  const headers =
    request > 0 && config['headers-timeout'] > 0
      ? Math.min(config['headers-timeout'] * 1000, request)
      : config['headers-timeout'] * 1000;
  const limits = [request, headers].filter((t) => t > 0);
  return {
    requestTimeout: request,
    headersTimeout: headers,
    keepAliveTimeout: config['keep-alive-timeout'] * 1000,
    // Node enforces both timeouts only when it checks its connections (every 30 s by default),
    // which would let a 1 s timeout run for 30 s.
    connectionsCheckingInterval: Math.min(30_000, ...limits.map((t) => Math.max(100, Math.floor(t / 4)))),
    // Explicit, so that `--insecure-http-parser` in NODE_OPTIONS cannot turn it on: the lenient
    // parser accepts the conflicting framing that request smuggling relies on.
    insecureHTTPParser: false,
    requireHostHeader: true,
  };
}

/**
 * What is wrong with a request the parser accepted but whose meaning is ambiguous (RFC 9112 §3.2,
 * §6.1): more than one Host header, a transfer coding other than `chunked` alone (`identity,
 * chunked` frames the body differently for different parsers), an absolute-form target naming
 * another host than the Host header. Undefined when nothing is.
 */
export function requestProblem(req: IncomingMessage): string | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') hosts++;
  if (hosts > 1) return 'A request must have exactly one Host header';
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked')
    return `Unsupported Transfer-Encoding '${te.slice(0, 100)}': only 'chunked' is accepted`;
  const target = req.url ?? '/';
  if (!target.startsWith('/') && target !== '*') {
    let authority: string;
    let host: string | undefined;
    try {
      authority = new URL(target).host;
    } catch {
      return 'The request target must be a path';
    }
    try {
      host = new URL(`http://${req.headers.host}`).host;
    } catch {
      host = undefined;
    }
    if (authority !== host) return 'The request target names another host than the Host header';
  }
  return undefined;
}

/** Renders an error message (and its code, when not a malformed request) as the listener's JSON error body. */
export type RenderError = (message: string, code?: ErrorCode) => unknown;

/**
 * An HTTP server with `config`'s limits that answers an ambiguous request (see `requestProblem`)
 * with 400 and `render(message)`, closing the connection (its framing cannot be trusted), a
 * request the browser guard refuses (`browser-guard.ts`) with its status, and hands every other
 * request to `handler`. Fastify attaches `clientErrorHandler` itself (an
 * option); other users attach it to the server's `clientError` event.
 */
export function createListener(config: ListenerConfig, render: RenderError, handler: RequestListener): Server {
  const guard = browserGuard(config);
  return createServer(serverOptions(config), (req, res) => {
    const problem = requestProblem(req);
    if (problem !== undefined) return sendJson(res, 400, render(problem), { connection: 'close' });
    // Every answer goes through writeHead (Node's implicit headers too): the one moment to decide
    // whether the connection must outlive it to read the rest of the body.
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (!req.complete) lingerForBody(req, res);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    const refused = guard.refusal(req);
    if (refused) return sendJson(res, refused.status, render(refused.message, refused.code));
    handler(req, res);
  });
}

/**
 * Answers what Node's parser rejects, or a request cut by a timeout, in the listener's error
 * shape (Node itself sends a bare status line), then closes the connection.
 */
export function clientErrorHandler(
  config: ListenerConfig,
  render: RenderError,
): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let status = 400;
    let message = `Malformed HTTP request (${err.code ?? err.message})`;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      message = `The request was not received in time (--headers-timeout ${config['headers-timeout']} s, --request-timeout ${config['request-timeout']} s)`;
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      message = 'Request headers are too large';
    }
    // Not in the middle of an answer (e.g. a 413 sent while the body was still arriving).
    const answering = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
    if (socket.writable && !answering) {
      const body = JSON.stringify(render(message));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The message of every 413 for a body over `--max-body`. */
export function bodyTooLargeMessage(limit: number): string {
  return `Request body is larger than --max-body (${limit} bytes)`;
}

/**
 * Fastify's error for a body past its limit, as the 413 to send — or undefined for other errors.
 * Fastify asks to close the connection after it; it stays open instead to read the rest of the
 * body (see `lingerForBody`), so that the client can read the 413.
 */
export function overBodyLimit(err: unknown, reply: FastifyReply, limit: number): AppError | undefined {
  if ((err as { code?: string } | undefined)?.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return undefined;
  reply.removeHeader('connection');
  return new AppError('payload_too_large', bodyTooLargeMessage(limit));
}

/** How long a connection answered before its body arrived keeps reading (and discarding) it. */
const LINGER_MS = 30_000;

/**
 * For an answer given before the request body has arrived whole (a 413, or a route that reads no
 * body, such as a GET sent with one). Node closes the
 * connection once the answer is sent when the client asked for `Connection: close` (as a client
 * without keep-alive does), while the client is still writing the body it sends whole before
 * reading — and it gets EPIPE instead of the answer. Kept open, the connection reads and discards
 * the rest of the body, for at most 30 s (--request-timeout still bounds the whole request).
 */
function lingerForBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || res.headersSent) return;
  res.shouldKeepAlive = true;
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Reads a request body of at most `limit` bytes; undefined when it is larger. The rest of a larger
 * body is read and discarded (as Node does for a request its handler did not read), so that the
 * client can read the 413 sent meanwhile.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      chunks.length = 0;
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.once('error', reject);
  });
}
