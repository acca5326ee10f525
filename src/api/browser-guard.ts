/**
 * What keeps a web page from using a Sightline it can reach (ADR 26), on every listener, with or
 * without keys: a page may send a cross-site request without asking (a form, `text/plain`), open a
 * websocket, or reach a loopback server under its own name (DNS rebinding). So:
 * - a `Host` that is not a loopback name, an IP literal, the `--public-url` host or an
 *   `--allowed-host` → 421 (rebinding needs a name, and a name of ours is never the attacker's);
 * - an `Origin` that is neither the server's own nor a `--cors-origin` → 403, HTTP and upgrades;
 * - a body with a non-JSON content type → 415 (a missing type means JSON, as in Prefect), but
 *   protobuf on the OTLP paths.
 * Requests without `Origin` are not from a browser's cross-site fetch, and pass.
 */
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { ServeConfig } from '../config/schema.ts';
import { type ClientView, clientView, linkableHost, trustedProxies } from './forwarded.ts';

export type GuardConfig = Pick<ServeConfig, 'public-url' | 'allowed-host' | 'cors-origin' | 'trusted-proxy'>;

export interface Refusal {
  status: 403 | 415 | 421;
  code: 'forbidden' | 'unsupported_media_type' | 'misdirected_request';
  message: string;
}

export interface BrowserGuard {
  /** The request as its client sent it (see `forwarded.ts`). */
  view(req: IncomingMessage): ClientView;
  /** Why `req` is refused, or undefined. An upgrade carries no body, so its type is not checked. */
  refusal(req: IncomingMessage, opts?: { upgrade?: boolean }): Refusal | undefined;
}

const guards = new WeakMap<GuardConfig, BrowserGuard>();

/** The guard of `config` (one per configuration: listeners and websockets share it). */
export function browserGuard(config: GuardConfig): BrowserGuard {
  let guard = guards.get(config);
  if (!guard) guards.set(config, (guard = createGuard(config)));
  return guard;
}

const originOf = (url: string): string | undefined => {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
};

/** `application/json`, `application/<x>+json`, with any parameters. */
export function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/**
 * OTLP's protobuf bodies, on the OTLP paths only (`api/otlp/routes.ts`). A page cannot send this
 * type cross-site without a CORS preflight, which other origins fail.
 */
const OTLP_PATH = /^(\/api(\/accounts\/[^/]+\/workspaces\/[^/]+)?\/otlp)?\/v1\/(traces|logs|metrics)\/?(\?|$)/;

function isOtlpProtobuf(req: IncomingMessage, contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (type === 'application/x-protobuf' || type === 'application/protobuf') && OTLP_PATH.test(req.url ?? '');
}

/** Whether a request carries a body, or may act on a missing one (a POST with no body is `{}`). */
function mayHaveBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  if (Number(req.headers['content-length'] ?? 0) > 0) return true;
  return !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(req.method ?? 'GET');
}

function createGuard(config: GuardConfig): BrowserGuard {
  const trusted: BlockList = trustedProxies(config['trusted-proxy']);
  const publicUrl = config['public-url'] ? new URL(config['public-url']) : undefined;
  const names = [...config['allowed-host'], ...(publicUrl ? [publicUrl.hostname.replace(/^\[|\]$/g, '')] : [])];
  const origins = new Set(
    [...config['cors-origin'], ...(publicUrl ? [publicUrl.href] : [])].map(originOf).filter((o) => o !== undefined),
  );
  const view = (req: IncomingMessage) => clientView(req, trusted);
  return {
    view,
    refusal(req, opts = {}) {
      const { host, proto } = view(req);
      if (host === undefined || !linkableHost(host, names)) {
        return {
          status: 421,
          code: 'misdirected_request',
          message: `Host '${String(host).slice(0, 100)}' is not served here: use a loopback name, an IP address, the --public-url host or an --allowed-host`,
        };
      }
      const origin = req.headers.origin;
      if (origin !== undefined) {
        const own = originOf(`${proto}://${host}`);
        const o = originOf(origin);
        if (o === undefined || (o !== own && !origins.has(o))) {
          return {
            status: 403,
            code: 'forbidden',
            message: `Origin '${origin.slice(0, 100)}' may not use this server (allow it with --cors-origin)`,
          };
        }
      }
      const type = req.headers['content-type'];
      if (!opts.upgrade && type !== undefined && !isJsonType(type) && !isOtlpProtobuf(req, type) && mayHaveBody(req)) {
        return {
          status: 415,
          code: 'unsupported_media_type',
          message: `Unsupported content type '${type.slice(0, 100)}': request bodies must be application/json`,
        };
      }
      return undefined;
    },
  };
}
