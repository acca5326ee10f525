/**
 * Websocket routes of the native API. Like HTTP routes, each is served on both path families
 * (`/api/<path>` and `/api/accounts/{a}/workspaces/{w}/<path>`). The `prefect` subprotocol is
 * accepted, as Prefect's server does; permessage-deflate is declined (optional for clients):
 * inflating every small `/events/in` frame cost more CPU than the rest of the ingest path, and
 * deflating every live log one at a time capped a subscriber far below the ingest rate.
 *
 * Limits (see `ws-session.ts`): `--ws-max-message` per message (close 1009),
 * `--ws-max-connections` open sockets per key, or per remote address without `--auth` (close 1013), `--ws-max-buffer` bytes
 * queued each way, `--ws-handshake-timeout` for the first messages. Each socket is one API request
 * of `--rate-limit-requests` (429 at the upgrade without `--auth`, close 1013 after the key with
 * it); `/events/in` slows down over `--rate-limit-items` (`events-ws.ts`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { AppError, RateLimitError } from '../domain/errors.ts';
import type { Workspace } from '../domain/tenancy.ts';
import type { OpContext, PathFamily, Services } from '../ops/context.ts';
import { accepted, credentialOf, holderOf, rememberCaller, scopeRefusal, tokenCredential } from './access.ts';
import { browserGuard } from './browser-guard.ts';
import { HTTP_STATUS } from './errors.ts';
import { HeapReclaimer } from './heap-reclaim.ts';
import { requestProblem } from './http-listener.ts';
import type { ServerMetrics } from './metrics.ts';
import { type Scope, WorkspaceResolver } from './router.ts';
import { type WsLimits, WsSession } from './ws-session.ts';

export interface WsRouteDef {
  /** Relative to the API root, e.g. `/events/in`. */
  path: string;
  /** What a caller needs to open it (see `Scope` in `router.ts`). */
  scope: Scope;
  /**
   * Whether the server answers pings itself (default true). `/events/in` turns it off and pongs
   * only after everything received before the ping is committed.
   */
  autoPong?: boolean;
  handler(ctx: OpContext, session: WsSession, req: IncomingMessage): void | Promise<void>;
}

/** The close reason of a socket that presented no key (the Prefect client needs the auth string set). */
export const MISSING_KEY = 'Unauthorized: no API key; set PREFECT_API_AUTH_STRING=sightline:<key>';

const CLOUD = /^\/api\/accounts\/([^/]+)\/workspaces\/([^/]+)(\/.*)$/;

function reject(socket: Duplex, status: number, detail: string, header = ''): void {
  const body = JSON.stringify({ detail });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: application/json\r\n${header}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** An upgrade refused by a rate limit: 429 with Retry-After, as on HTTP. */
function rejectRateLimited(socket: Duplex, err: unknown): void {
  if (!(err instanceof RateLimitError)) throw err;
  reject(socket, 429, err.message, `Retry-After: ${err.retryAfter}\r\n`);
}

export function registerWebSockets(
  app: FastifyInstance,
  services: Services,
  routes: WsRouteDef[],
  metrics?: ServerMetrics,
): void {
  if (routes.length === 0) return;
  const { config } = services;
  const guard = browserGuard(config);
  const resolver = new WorkspaceResolver(services);
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const limits: WsLimits = {
    maxBuffer: config['ws-max-buffer'],
    handshakeTimeoutMs: config['ws-handshake-timeout'] * 1000,
  };
  const maxConnections = config['ws-max-connections'];
  const options = {
    noServer: true,
    maxPayload: config['ws-max-message'],
    perMessageDeflate: false,
    handleProtocols: (protocols: Set<string>) => (protocols.has('prefect') ? 'prefect' : false),
  };
  const servers = new Map<boolean, WebSocketServer>();
  const serverFor = (route: WsRouteDef): WebSocketServer => {
    const autoPong = route.autoPong !== false;
    let s = servers.get(autoPong);
    if (!s) {
      s = new WebSocketServer({ ...options, autoPong });
      servers.set(autoPong, s);
    }
    return s;
  };
  /** Open sockets per key under --auth, per remote address without. */
  const open = new Map<string, number>();
  const reclaimer = new HeapReclaimer(app.log);

  /** Counts the socket against `holder`'s --ws-max-connections; false (and closed 1013) past it. */
  const admit = (session: WsSession, holder: string, who: string): boolean => {
    const count = (open.get(holder) ?? 0) + 1;
    if (count > maxConnections) {
      session.close(1013, `Too many websockets from this ${who} (--ws-max-connections ${maxConnections})`);
      return false;
    }
    open.set(holder, count);
    session.onClose(() => {
      const left = (open.get(holder) ?? 1) - 1;
      if (left > 0) open.set(holder, left);
      else open.delete(holder);
    });
    return true;
  };

  const accept = (
    route: WsRouteDef,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    opened: (s: WsSession) => void,
  ) =>
    serverFor(route).handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.once('close', () => reclaimer.socketClosed());
      const session = new WsSession(ws, limits);
      if (metrics) session.onClose(metrics.socketOpened(route.path, { bufferedBytes: () => session.waitingBytes }));
      // A route that answers pings itself has not attached yet: a ping before any message is
      // answered now; one after messages waits for the route (it acknowledges them).
      if (route.autoPong === false) {
        const onPing = (data: Buffer) => (session.pending === 0 ? ws.pong(data) : session.earlyPings.push(data));
        ws.on('ping', onPing);
        session.onClose(() => ws.off('ping', onPing));
        session.beforeRoute = () => ws.off('ping', onPing);
      }
      opened(session);
    });

  const run = (route: WsRouteDef, ctx: OpContext, session: WsSession, req: IncomingMessage, path: string) => {
    session.beforeRoute?.();
    Promise.resolve(route.handler(ctx, session, req)).catch((err) => {
      app.log.error({ err, path }, 'websocket handler failed');
      session.close(1011, 'Internal error');
    });
  };

  /**
   * Under --auth: the key of the upgrade's Authorization, else of the auth message's token. A
   * refusal counts against the address's --auth-fail-limit.
   */
  const authenticate = async (route: WsRouteDef, session: WsSession, req: IncomingMessage) => {
    const auth = await session.readAuth();
    if (auth === null) return undefined;
    const fromHeader = await services.keyring.check(credentialOf(req.headers.authorization));
    const r = accepted(fromHeader) ? fromHeader : await services.keyring.check(tokenCredential(auth.token));
    if (!accepted(r)) {
      services.limits.failed(guard.view(req).address);
      session.close(1008, r.refused === 'missing' ? MISSING_KEY : 'Unauthorized');
      return undefined;
    }
    const refused = scopeRefusal(r.caller, route.scope);
    if (refused) {
      session.close(1008, refused.message);
      return undefined;
    }
    return r.caller;
  };

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const problem = requestProblem(req);
    if (problem) return reject(socket, 400, problem);
    // A page may open a websocket to any server it can name: Host and Origin are checked as for HTTP.
    const refused = guard.refusal(req, { upgrade: true });
    if (refused) return reject(socket, refused.status, refused.message);
    const path = (req.url ?? '/').split('?')[0];
    let family: PathFamily = 'oss';
    let rest = path.startsWith('/api/') ? path.slice(4) : undefined;
    let ids: [string | undefined, string | undefined] = [undefined, undefined];
    const m = CLOUD.exec(path);
    if (m) {
      family = 'cloud';
      ids = [m[1], m[2]];
      rest = m[3];
    }
    const route = rest === undefined ? undefined : byPath.get(rest);
    if (!route) return reject(socket, 404, 'Not Found');

    if (config.auth) {
      try {
        services.limits.checkFailures(guard.view(req).address);
      } catch (err) {
        return rejectRateLimited(socket, err);
      }
      // Nothing is told before the key is known: the socket opens, authenticates, then learns
      // whether its workspace exists (one it may not reach answers the same).
      accept(route, req, socket, head, async (session) => {
        const caller = await authenticate(route, session, req);
        if (!caller) return;
        rememberCaller(req, caller);
        // A subscription is one API request of its key.
        try {
          services.limits.request(holderOf(services, req));
        } catch (err) {
          if (!(err instanceof RateLimitError)) throw err;
          return session.close(1013, `${err.message}; retry after ${err.retryAfter} s`);
        }
        let workspace: Workspace;
        try {
          workspace = await resolver.resolveIds(family, ids[0], ids[1], caller);
        } catch (err) {
          const e = err instanceof AppError ? err : new AppError('internal', String(err));
          return session.close(
            e.code === 'internal' ? 1011 : 1008,
            e.code === 'route_not_found' ? 'Not Found' : e.message,
          );
        }
        if (admit(session, `key:${caller.key.id}`, 'key'))
          run(route, { services, workspace, family }, session, req, path);
      });
      return;
    }
    // A subscription is one API request of its address.
    try {
      services.limits.request(holderOf(services, req));
    } catch (err) {
      return rejectRateLimited(socket, err);
    }
    resolver.resolveIds(family, ids[0], ids[1]).then(
      (workspace) =>
        accept(route, req, socket, head, async (session) => {
          if (!admit(session, `address:${guard.view(req).address}`, 'address')) return;
          if ((await session.readAuth()) === null) return;
          run(route, { services, workspace, family }, session, req, path);
        }),
      (err) => {
        const e = err instanceof AppError ? err : new AppError('internal', String(err));
        reject(socket, HTTP_STATUS[e.code], e.code === 'route_not_found' ? 'Not Found' : e.message);
      },
    );
  });

  // Before the HTTP server closes: it cannot finish closing while upgraded sockets stay open.
  // Clients get 1001 (going away) and a moment to answer before their sockets are cut.
  app.addHook('preClose', async () => {
    const clients = [...servers.values()].flatMap((s) => [...s.clients]);
    const gone = clients.map(
      (c) => new Promise<void>((r) => (c.readyState === c.CLOSED ? r() : c.once('close', () => r()))),
    );
    for (const c of clients) c.close(1001, 'Server is shutting down');
    await Promise.race([Promise.all(gone), new Promise((r) => setTimeout(r, 500).unref())]);
    for (const c of clients) c.terminate();
    for (const s of servers.values()) s.close();
  });
}
