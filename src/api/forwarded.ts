/**
 * Who a request came from and what it asked for, as the client saw it. `X-Forwarded-For`,
 * `-Proto` and `-Host` are anyone's to send; they count only when the connection comes from a
 * `--trusted-proxy` (addresses or CIDRs). Otherwise the socket's address, plain `http` and the
 * `Host` header are what counts: for the client address, for links and for the Host check.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** What a request looks like from the client's side of any trusted proxies. */
export interface ClientView {
  /** The client's address (IPv4-mapped IPv6 written as IPv4). */
  address: string;
  proto: 'http' | 'https';
  /** The `Host` the client addressed (undefined when absent). */
  host: string | undefined;
}

/** `example.com:4200` → `example.com`, `[::1]:4200` → `::1`; undefined when malformed. */
function hostname(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/@\s]+))(?::\d{1,5})?$/.exec(host);
  return m ? (m[1] ?? m[2]).toLowerCase() : undefined;
}

/**
 * Whether a `Host` header value names this server: a loopback name, an IP literal or one of
 * `allowed`. Only such a host is served (browser-guard.ts) and may appear in links.
 */
export function linkableHost(host: string, allowed: readonly string[]): boolean {
  const name = hostname(host);
  if (name === undefined) return false;
  return name === 'localhost' || isIP(name) !== 0 || allowed.some((a) => a.toLowerCase() === name);
}

const plain = (a: string | undefined) => (a?.startsWith('::ffff:') ? a.slice(7) : (a ?? ''));

/** The `--trusted-proxy` entries as a BlockList; a malformed entry is a start-up error naming it. */
export function trustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits, extra] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!/^\d{1,3}$/.test(bits) || (prefix as number) > max))
    )
      throw new Error(`--trusted-proxy '${entry}' is neither an IP address nor a CIDR (e.g. 10.0.0.0/8)`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

function trusts(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** The values of a comma-separated header, repeated headers joined. */
function values(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

const views = new WeakMap<IncomingMessage, ClientView>();

/**
 * The request as its client sent it. Behind trusted proxies the client address is the nearest
 * `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left were written
 * by whoever the untrusted hop was, so they prove nothing); proto and host are the last values,
 * the ones the nearest proxy set.
 */
export function clientView(req: IncomingMessage, trusted: BlockList): ClientView {
  const cached = views.get(req);
  if (cached) return cached;
  const peer = plain(req.socket.remoteAddress);
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  let view: ClientView = { address: peer, proto: encrypted ? 'https' : 'http', host: req.headers.host };
  if (trusts(trusted, peer)) {
    let address = peer;
    const hops = values(req.headers['x-forwarded-for']).map(plain);
    while (hops.length && trusts(trusted, address)) address = hops.pop() as string;
    const proto = values(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase();
    const host = values(req.headers['x-forwarded-host']).at(-1);
    view = {
      address,
      proto: proto === 'https' || proto === 'http' ? proto : view.proto,
      host: host ?? view.host,
    };
  }
  views.set(req, view);
  return view;
}
