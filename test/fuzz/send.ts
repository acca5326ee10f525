/**
 * Sends a fuzz case byte for byte (node:http, no URL normalisation; the `ws` client for sockets)
 * and records what came back, with a 30 s deadline on every exchange.
 */
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import type { Case } from './cases.ts';

export const DEADLINE_MS = 30_000;
/** Answers longer than this are not kept whole (only error bodies are checked, and they are small). */
const KEEP_BYTES = 1024 * 1024;

export interface HttpAnswer {
  kind: 'http';
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body's full length (it may be longer than what was kept). */
  bodyBytes: number;
}

export interface WsAnswer {
  kind: 'ws';
  /** The HTTP status when the upgrade was refused. */
  refused?: number;
  refusedBody?: string;
  messages: (string | Buffer)[];
  close?: { code: number; reason: string };
}

export type Answer = HttpAnswer | WsAnswer | { kind: 'failed'; error: string };

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
/** Bodies the server may refuse before reading them go on a connection of their own. */
const LARGE_BODY = 1024 * 1024;

export function sendHttp(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
  fresh = false,
): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        agent: fresh || (body && body.length > LARGE_BODY) ? false : agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const answered = () => ({
          kind: 'http' as const,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          bodyBytes: bytes,
        });
        res.on('data', (d: Buffer) => {
          if (bytes < KEEP_BYTES) chunks.push(d);
          bytes += d.length;
        });
        res.on('end', () => done(answered()));
        res.on('error', (err) => done({ kind: 'failed', error: `response: ${err.message}` }));
        // A server may answer (413) before it has read a large body, then close: the answer counts
        // once it has been read whole, whatever then happens to the rest of the upload.
        got = () => (res.complete ? answered() : undefined);
      },
    );
    let got: () => Answer | undefined = () => undefined;
    const timer = setTimeout(() => {
      req.destroy();
      done({ kind: 'failed', error: `no answer within ${DEADLINE_MS / 1000} s` });
    }, DEADLINE_MS);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const answer = got();
      // A pooled connection the server closed while idle (past its keep-alive timeout: building a
      // gzip bomb can take the fuzzer longer) fails on first use; like any HTTP client, send again
      // on a new connection.
      if (!answer && req.reusedSocket && !fresh && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        clearTimeout(timer);
        settled = true;
        return void sendHttp(base, method, path, headers, body, true).then(resolve);
      }
      done(answer ?? { kind: 'failed', error: `${err.code ?? ''} ${err.message}`.trim() });
    });
    if (body) req.end(body);
    else req.end();
  });
}

export function sendWs(base: string, c: Extract<Case, { kind: 'ws' }>): Promise<Answer> {
  const url = `${base.replace(/^http/, 'ws')}${c.url}`;
  return new Promise((resolve) => {
    const a: WsAnswer = { kind: 'ws', messages: [] };
    let settled = false;
    const done = (r: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(quiet);
      resolve(r);
    };
    const ws = new WebSocket(url, c.protocols, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    const deadline = setTimeout(() => {
      ws.terminate();
      done({ kind: 'failed', error: `websocket still open ${DEADLINE_MS / 1000} s after the case began` });
    }, DEADLINE_MS);
    let quiet: NodeJS.Timeout | undefined;
    // The exchange ends when the server closes, or once it has been quiet for a moment after
    // answering a ping (so that everything it sent in reply has arrived).
    const finish = () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    };
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        a.refused = res.statusCode;
        a.refusedBody = Buffer.concat(chunks).toString('utf8').slice(0, 70_000);
        done(a);
      });
    });
    ws.on('open', () => {
      for (const f of c.frames) ws.send(f.data, { binary: f.binary });
      ws.ping();
      quiet = setTimeout(finish, 3000);
    });
    ws.on('pong', () => {
      clearTimeout(quiet);
      quiet = setTimeout(finish, 150);
    });
    ws.on('message', (d: Buffer, isBinary) => a.messages.push(isBinary ? d : d.toString('utf8')));
    ws.on('close', (code, reason) => {
      a.close = { code, reason: reason.toString() };
      done(a);
    });
    ws.on('error', (err) => {
      if (a.refused === undefined && !settled)
        setTimeout(() => done({ kind: 'failed', error: `websocket: ${err.message}` }), 50);
    });
  });
}
