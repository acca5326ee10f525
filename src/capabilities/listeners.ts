/**
 * The gateway's listeners: one REST listener and one MCP listener per port (declared in the
 * files or forced by --rest-port / --mcp-port), all bound to --host. MCP is Streamable HTTP at
 * `/mcp` (and `/`, where Naftiko serves it). Host, Origin and content type are checked for every
 * listener by `createListener` (the browser guard).
 */
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { FastifyInstance } from 'fastify';
import { type Door, letIn } from '../api/access.ts';
import {
  bodyTooLargeMessage,
  clientErrorHandler,
  createListener,
  type ListenerConfig,
  readBody,
  sendJson,
} from '../api/http-listener.ts';
import { listenFailure } from '../config/startup-error.ts';
import { AppError, RateLimitError } from '../domain/errors.ts';
import { parseJsonText } from '../domain/json-text.ts';
import { asCaller } from './caller-context.ts';
import type { BoundCapabilities } from './engine.ts';
import { type McpToolSet, mcpHttpHandler, type ToolEntry } from './mcp-adapter.ts';
import { buildRestApp, type RestEntry } from './rest-adapter.ts';

export interface ListenOptions {
  host: string;
  restPort?: number;
  mcpPort?: number;
  maxChars: number;
  mcpTools?: McpToolSet;
  mcpReadOnly?: boolean;
  bodyLimit: number;
  /** Timeouts of every listener. */
  http: ListenerConfig;
  version: string;
  logger?: boolean | object;
  /** Keys (under `--auth`, 401 before anything else) and rate limits (429). */
  door?: Door;
}

function regroup<V>(byPort: Map<number, V[]>, forced: number | undefined): Map<number, V[]> {
  if (forced === undefined) return byPort;
  const all = [...byPort.values()].flat();
  return all.length ? new Map([[forced, all]]) : new Map();
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** A JSON-RPC error, the body of MCP's HTTP errors. */
const mcpError = (message: string, code = -32000) => ({ jsonrpc: '2.0', error: { code, message }, id: null });
const mcpListenerError = (message: string) => mcpError(message);

type Message = { id?: unknown; method?: unknown; params?: { requestId?: unknown } };

/** The tool calls being answered, by caller and JSON-RPC id, so that a cancellation can reach them. */
class InFlightCalls {
  private readonly calls = new Map<string, AbortController>();

  /** The abort signal of this message's call (undefined for other messages); cancels what it names. */
  track(body: unknown, caller: string, res: ServerResponse): AbortSignal | undefined {
    const m = (typeof body === 'object' && body !== null ? body : {}) as Message;
    if (m.method === 'notifications/cancelled') {
      this.calls.get(`${caller} ${JSON.stringify(m.params?.requestId)}`)?.abort();
      return undefined;
    }
    if (m.method !== 'tools/call' || m.id === undefined) return undefined;
    const key = `${caller} ${JSON.stringify(m.id)}`;
    const ctrl = new AbortController();
    this.calls.set(key, ctrl);
    res.on('close', () => {
      if (!res.writableFinished) ctrl.abort();
      if (this.calls.get(key) === ctrl) this.calls.delete(key);
    });
    return ctrl.signal;
  }
}

export class CapabilityListeners {
  readonly restUrls: string[] = [];
  readonly mcpUrls: string[] = [];
  private readonly restApps: FastifyInstance[] = [];
  private readonly mcpServers: Server[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly inFlight = new InFlightCalls();
  private readonly bound: BoundCapabilities;
  private readonly opts: ListenOptions;

  constructor(bound: BoundCapabilities, opts: ListenOptions) {
    this.bound = bound;
    this.opts = opts;
  }

  async start(): Promise<void> {
    const { host } = this.opts;
    for (const [port, entries] of regroup(this.bound.rest, this.opts.restPort)) {
      const app = await this.restApp(entries);
      await app.listen({ host, port }).catch((err) => {
        throw listenFailure(err, '--rest-port');
      });
      this.restApps.push(app);
      this.restUrls.push(`http://${urlHost(host)}:${(app.server.address() as AddressInfo).port}/v1`);
    }
    const http = new Map([...this.bound.tools].filter(([port]) => port >= 0));
    for (const [port, tools] of regroup(http, this.opts.mcpPort)) {
      const server = this.mcpServer(tools);
      await new Promise<void>((resolve, reject) => {
        const failed = (err: Error) => reject(listenFailure(err, '--mcp-port'));
        server.once('error', failed);
        server.listen(port, host, () => {
          server.off('error', failed);
          resolve();
        });
      });
      this.mcpServers.push(server);
      this.mcpUrls.push(`http://${urlHost(host)}:${(server.address() as AddressInfo).port}/mcp`);
    }
  }

  private restApp(entries: RestEntry[]): Promise<FastifyInstance> {
    const { bodyLimit, http, logger, version, door } = this.opts;
    return buildRestApp(entries, { bodyLimit, http, logger, title: 'Sightline REST gateway', version, door });
  }

  private mcpServer(tools: ToolEntry[]): Server {
    const handler = mcpHttpHandler(tools, {
      maxChars: this.opts.maxChars,
      version: this.opts.version,
      instructions: this.bound.instructions,
      agent: this.bound.agentTarget,
      tools: this.opts.mcpTools,
      readOnly: this.opts.mcpReadOnly,
    });
    this.closers.push(() => handler.close());
    const node = toNodeHandler(handler);
    const { bodyLimit, door } = this.opts;
    const server = createListener(this.opts.http, mcpListenerError, async (req, res) => {
      // A request without a valid key (under --auth), or over a rate limit, is answered before
      // any JSON-RPC is read.
      if (door) {
        const refused = await letIn(door, req).then(
          () => undefined,
          (err: AppError) => err,
        );
        if (refused instanceof RateLimitError)
          return sendJson(res, 429, mcpError(refused.message), { 'retry-after': String(refused.retryAfter) });
        if (refused?.code === 'unauthorized')
          return sendJson(res, 401, mcpError('Unauthorized'), { 'www-authenticate': 'Bearer' });
        if (refused) return sendJson(res, 503, mcpError('The key could not be checked; try again'));
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/mcp' && path !== '/mcp/' && path !== '/') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'route_not_found', message: `The MCP endpoint is /mcp, not ${path}` }));
        return;
      }
      // The body is read here, not by the SDK: its own limit (4 MiB) would not be --max-body, and
      // it closes the connection on a larger body while the client is still sending it.
      const body = req.method === 'POST' ? readBody(req, bodyLimit) : Promise.resolve(undefined);
      body
        .then((raw) => {
          if (raw === undefined && req.method === 'POST')
            return sendJson(res, 413, mcpError(bodyTooLargeMessage(bodyLimit)));
          let parsed: unknown;
          if (raw?.length) {
            try {
              // Bounded like every body (the SDK serialises it again: nesting must be bounded too).
              parsed = parseJsonText(raw.toString('utf8'), { scan: 'always' });
              if (parsed === undefined) throw new Error('blank body');
            } catch (err) {
              const why = err instanceof AppError ? err.issues[0]?.msg : undefined;
              return sendJson(res, 400, mcpError(`Parse error: ${why ?? 'Invalid JSON'}`, -32700));
            }
          }
          // Tool calls reach the native API as this caller (its key's scope and workspaces). The
          // transport is stateless (each message its own server): a call is cancelled here, by
          // its caller's `notifications/cancelled` or by its request going away.
          const address = door?.guard.view(req).address ?? '';
          const signal = this.inFlight.track(parsed, `${address} ${req.headers.authorization ?? ''}`, res);
          return asCaller(req.headers.authorization, address, () => node(req, res, parsed), signal);
        })
        .catch((err) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'internal', message: String((err as Error)?.message ?? err) }));
        });
    });
    server.on('clientError', clientErrorHandler(this.opts.http, mcpListenerError));
    return server;
  }

  async close(): Promise<void> {
    for (const c of this.closers) await c().catch(() => {});
    for (const app of this.restApps) await app.close();
    for (const s of this.mcpServers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}
