/**
 * The one rule for the origin of every absolute link Sightline writes into an answer (`next_page`
 * of events, a flow run's events, and every later link): `--public-url` when set; else the
 * request's `Host` when it is a loopback name, an IP literal or an `--allowed-host`; else the
 * address the connection arrived on (the loopback address for a local client) and the listener's
 * port. A `Host` header is the client's to choose: echoing any name would put links to another
 * server (`Host: attacker.example`) into answers, and into whatever caches them.
 */
import { isIP } from 'node:net';
import type { ServeConfig } from '../config/schema.ts';

export type LinkConfig = Pick<ServeConfig, 'public-url' | 'allowed-host'>;

/** What the rule reads of a request (a Fastify request has all of it). */
export interface LinkRequest {
  headers: { host?: string };
  protocol?: string;
  socket?: { localAddress?: string; localPort?: number };
}

/** `example.com:4200` → `example.com`, `[::1]:4200` → `::1`; undefined when malformed. */
function hostname(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/@\s]+))(?::\d{1,5})?$/.exec(host);
  return m ? (m[1] ?? m[2]).toLowerCase() : undefined;
}

/** Whether a `Host` header value may appear in links. */
export function linkableHost(host: string, allowed: readonly string[]): boolean {
  const name = hostname(host);
  if (name === undefined) return false;
  return name === 'localhost' || isIP(name) !== 0 || allowed.some((a) => a.toLowerCase() === name);
}

/** `http://127.0.0.1:4200`: the URL form of a local address and port. */
export function addressOrigin(address: string | undefined, port: number | undefined): string {
  let host = address?.startsWith('::ffff:') ? address.slice(7) : address;
  if (!host || host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}${port ? `:${port}` : ''}`;
}

/** Origin (scheme, host, port; no trailing slash) for absolute links in the answer to `req`. */
export function linkOrigin(config: LinkConfig, req: LinkRequest): string {
  const configured = config['public-url'];
  // A trailing `/api` is accepted: the URL users give the Prefect client.
  if (configured) return configured.replace(/\/+$/, '').replace(/\/api$/, '');
  const host = req.headers.host;
  if (host && linkableHost(host, config['allowed-host'])) return `${req.protocol ?? 'http'}://${host}`;
  return addressOrigin(req.socket?.localAddress, req.socket?.localPort);
}
