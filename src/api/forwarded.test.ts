import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { it } from 'node:test';
import { clientView, trustedProxies } from './forwarded.ts';

const req = (remoteAddress: string, headers: Record<string, string>) =>
  ({ socket: { remoteAddress }, headers: { host: '127.0.0.1:4200', ...headers } }) as unknown as IncomingMessage;

it('refuses a --trusted-proxy that is neither an address nor a CIDR, naming it', () => {
  for (const bad of ['proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x', ''])
    assert.throws(() => trustedProxies([bad]), new RegExp(`--trusted-proxy '${bad.replace(/[./]/g, '\\$&')}'`));
  assert.doesNotThrow(() => trustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']));
});

it('reads a proxy chain right to left, stopping at the first address that is not trusted', () => {
  const trusted = trustedProxies(['10.0.0.0/8']);
  const forwarded = { 'x-forwarded-for': '1.1.1.1, 203.0.113.5, 10.0.0.2', 'x-forwarded-proto': 'https' };
  assert.deepEqual(clientView(req('10.0.0.1', forwarded), trusted), {
    address: '203.0.113.5',
    proto: 'https',
    host: '127.0.0.1:4200',
  });
  // From an address that is not trusted, the headers prove nothing.
  assert.deepEqual(clientView(req('::ffff:198.51.100.1', { ...forwarded, 'x-forwarded-host': 'a.example' }), trusted), {
    address: '198.51.100.1',
    proto: 'http',
    host: '127.0.0.1:4200',
  });
  // A chain of trusted proxies only: the leftmost entry is the client.
  assert.equal(clientView(req('10.0.0.1', { 'x-forwarded-for': '10.9.9.9, 10.0.0.2' }), trusted).address, '10.9.9.9');
});
