import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { WebSocket } from 'ws';
import { RateLimits } from '../ops/access/rate-limits.ts';
import { type Services, withStore } from '../ops/context.ts';
import type { Store } from '../store/contract.ts';
import { registerWebSockets } from './websocket.ts';

const workspace = {
  id: 'w',
  accountId: 'a',
  name: 'default',
  handle: 'default',
  description: null,
  isDefault: true,
  created: 0,
};
const services = {
  config: {
    'ws-max-message': 1 << 20,
    'ws-max-buffer': 1 << 18,
    'ws-max-connections': 100,
    'ws-handshake-timeout': 10,
    'allowed-host': [],
    'cors-origin': [],
    'trusted-proxy': [],
  },
  defaults: { account: { id: 'a', name: 'default', handle: 'default' }, workspace },
  limits: new RateLimits({ 'rate-limit-requests': 0, 'rate-limit-items': 0, 'auth-fail-limit': 0 }),
} as unknown as Services;
withStore(services, { tenancy: { getWorkspace: async () => undefined } } as unknown as Store);

function open(url: string, protocols?: string[]): Promise<{ ws: WebSocket; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(d.toString()));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('websocket routes and the Prefect handshake', () => {
  const app = Fastify();
  let base = '';
  before(async () => {
    registerWebSockets(app, services, [
      {
        path: '/echo',
        scope: 'read',
        async handler(_ctx, session) {
          if (!(await session.handshake())) return;
          session.onMessage((m) => session.send({ echo: m }));
        },
      },
    ]);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address() as { port: number };
    base = `ws://127.0.0.1:${addr.port}`;
  });
  after(() => app.close());

  it('authenticates with the prefect subprotocol and keeps messages sent with the auth message', async () => {
    const { ws, messages } = await open(`${base}/api/echo`, ['prefect']);
    assert.equal(ws.protocol, 'prefect');
    ws.send(JSON.stringify({ type: 'auth', token: null }));
    ws.send('first');
    await until(() => messages.length >= 2);
    assert.deepEqual(
      messages.map((m) => JSON.parse(m)),
      [{ type: 'auth_success' }, { echo: 'first' }],
    );
    ws.close();
  });

  it('closes with 1008 when the first message is not auth', async () => {
    const { ws } = await open(`${base}/api/echo`, ['prefect']);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.send(JSON.stringify({ type: 'filter' }));
    assert.equal(await closed, 1008);
  });

  it('serves legacy clients without an auth exchange', async () => {
    const { ws, messages } = await open(`${base}/api/echo`);
    ws.send('x');
    await until(() => messages.length >= 1);
    assert.deepEqual(JSON.parse(messages[0]), { echo: 'x' });
    ws.close();
  });

  it('answers 404 for unknown paths and unknown workspaces', async () => {
    await assert.rejects(open(`${base}/api/nope`), /status 404/);
    const other = '00000000-0000-4000-8000-000000000000';
    await assert.rejects(open(`${base}/api/accounts/${other}/workspaces/${other}/echo`), /status 404/);
  });
});
