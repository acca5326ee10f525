/**
 * The one rule for the origin of every absolute link Sightline writes into an answer (`next_page`
 * of events, a flow run's events, and every later link): `--public-url` when set; else the
 * request's `Host` (`X-Forwarded-Host` from a `--trusted-proxy`, see `forwarded.ts`) when it is a
 * loopback name, an IP literal or an `--allowed-host`; else the
 * address the connection arrived on (the loopback address for a local client) and the listener's
 * port. A `Host` header is the client's to choose: echoing any name would put links to another
 * server (`Host: attacker.example`) into answers, and into whatever caches them.
 */
import type { IncomingMessage } from 'node:http';
import { browserGuard, type GuardConfig } from './browser-guard.ts';
import { linkableHost } from './forwarded.ts';

/** `http://127.0.0.1:4200`: the URL form of a local address and port. */
export function addressOrigin(address: string | undefined, port: number | undefined): string {
  let host = address?.startsWith('::ffff:') ? address.slice(7) : address;
  if (!host || host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}${port ? `:${port}` : ''}`;
}

/** The origin `--public-url` gives, if set. A trailing `/api` is accepted: the URL users give the Prefect client. */
export function publicOrigin(config: Pick<GuardConfig, 'public-url'>): string | undefined {
  return config['public-url']?.replace(/\/+$/, '').replace(/\/api$/, '') || undefined;
}

/** Origin (scheme, host, port; no trailing slash) for absolute links in the answer to `req`. */
export function linkOrigin(config: GuardConfig, req: { raw: IncomingMessage }): string {
  const configured = publicOrigin(config);
  if (configured) return configured;
  const { host, proto } = browserGuard(config).view(req.raw);
  if (host && linkableHost(host, config['allowed-host'])) return `${proto}://${host}`;
  return addressOrigin(req.raw.socket?.localAddress, req.raw.socket?.localPort);
}
