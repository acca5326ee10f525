/**
 * Every HTTP listener (native API, REST gateway, MCP) at the byte level: a body past --max-body
 * gets a 413 that a client writing its whole body before reading can read; requests whose framing
 * or target is ambiguous get a 400 in the listener's error shape; slow headers, slow bodies and
 * idle keep-alive connections are cut.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { closedWithin, parseResponse, rawConnect, rawRequest } from '../helpers/raw-http.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

interface Listener {
  name: string;
  port: number;
  /** A POST route taking a JSON body. */
  post: string;
  /** Headers the route needs besides Host. */
  headers: string;
  /** The error message inside the listener's error body. */
  message(body: string): string;
}

function listeners(s: TestServer): Listener[] {
  const port = (url: string) => Number(new URL(url).port);
  const caps = s.app.capabilities!;
  return [
    {
      name: 'native API',
      port: port(s.app.apiUrl!),
      post: '/api/logs/',
      headers: 'Content-Type: application/json\r\n',
      message: (b) => JSON.parse(b).detail,
    },
    {
      name: 'REST gateway',
      port: port(caps.restUrls[0]),
      post: `/v1/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs`,
      headers: 'Content-Type: application/json\r\n',
      message: (b) => JSON.parse(b).message,
    },
    {
      name: 'MCP',
      port: port(caps.mcpUrls[0]),
      post: '/mcp',
      headers: 'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n',
      message: (b) => JSON.parse(b).error.message,
    },
  ];
}

const head = (l: Listener, method: string, path: string, extra = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${l.port}\r\n${l.headers}${extra}`;

forEachEngine('HTTP listeners', (engine) => {
  describe('with default limits', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(engine);
      await s.listen();
    });
    after(() => s.close());

    const MIB64 = Buffer.alloc(64 * 1024 * 1024, 0x20);

    it('answer a 64 MiB body with a 413 that a client writing its whole body first can read', async () => {
      for (const l of listeners(s)) {
        // `Connection: close` is what a client without keep-alive sends (Node's agent: false).
        for (const [chunked, close] of [
          [false, false],
          [true, false],
          [false, true],
        ]) {
          const c = await rawConnect(l.port);
          try {
            const framing = `${close ? 'Connection: close\r\n' : ''}${chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${MIB64.length}\r\n\r\n`}`;
            await c.write(head(l, 'POST', l.post, framing));
            // The whole body is written before anything is read: without the fix the server has
            // closed the connection meanwhile and this write fails (EPIPE, ECONNRESET).
            if (chunked) {
              for (let i = 0; i < 16; i++)
                await c.write(
                  Buffer.concat([Buffer.from('400000\r\n'), MIB64.subarray(0, 4 * 1024 * 1024), Buffer.from('\r\n')]),
                );
              await c.write('0\r\n\r\n');
            } else await c.write(MIB64);
            const r = await c.response();
            assert.equal(r.status, 413, `${l.name} (chunked ${chunked}, close ${close}): ${r.body}`);
            assert.match(r.headers['content-type'], /application\/json/);
            assert.equal(l.message(r.body), 'Request body is larger than --max-body (16777216 bytes)', l.name);
          } finally {
            c.socket.destroy();
          }
        }
      }
    });

    it('answer a body-carrying request whose route reads no body to a client writing it whole first', async () => {
      // A GET with a body (the fuzzer's gzip bomb found it): answered at once, and a client that
      // asked to close got EPIPE instead of the answer when the connection closed under its upload.
      for (const l of listeners(s)) {
        const c = await rawConnect(l.port);
        try {
          const path = l.name === 'MCP' ? '/mcp' : l.name === 'native API' ? '/api/health' : '/v1/openapi.json';
          await c.write(head(l, 'GET', path, `Connection: close\r\nContent-Length: ${MIB64.length}\r\n\r\n`));
          await c.write(MIB64);
          const r = await c.response();
          assert.ok(r.status > 0 && r.status < 500, `${l.name}: ${r.status} ${r.body}`);
        } finally {
          c.socket.destroy();
        }
      }
    });

    it('refuse requests whose framing or target is ambiguous, in their own error shape', async () => {
      for (const l of listeners(s)) {
        const host = `Host: 127.0.0.1:${l.port}\r\n`;
        const cases: [string, string, RegExp][] = [
          [
            'two Host headers',
            `GET /api/health HTTP/1.1\r\n${host}Host: attacker.example\r\n\r\n`,
            /exactly one Host header/,
          ],
          [
            'identity, chunked',
            `POST ${l.post} HTTP/1.1\r\n${host}${l.headers}Transfer-Encoding: identity, chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n`,
            /Transfer-Encoding/,
          ],
          [
            'absolute target of another host',
            `GET http://attacker.example/api/health HTTP/1.1\r\n${host}\r\n`,
            /another host/,
          ],
          [
            'Content-Length with chunked',
            `POST ${l.post} HTTP/1.1\r\n${host}${l.headers}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n`,
            /Malformed/,
          ],
        ];
        for (const [what, request, message] of cases) {
          const r = await rawRequest(l.port, request);
          assert.equal(r.status, 400, `${l.name}, ${what}: ${r.body}`);
          assert.match(l.message(r.body), message, `${l.name}, ${what}`);
        }
      }
      const api = listeners(s)[0].port;
      const same = await rawRequest(
        api,
        `GET http://127.0.0.1:${api}/api/health HTTP/1.1\r\nHost: 127.0.0.1:${api}\r\n\r\n`,
      );
      assert.deepEqual([same.status, same.body], [200, 'true'], 'an absolute target naming this host is served');
      const upgrade = await rawRequest(
        api,
        `GET /api/events/out HTTP/1.1\r\nHost: 127.0.0.1:${api}\r\nHost: attacker.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      assert.equal(upgrade.status, 400, 'websocket upgrades too');
    });
  });

  describe('with short timeouts', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(engine, { 'request-timeout': '2', 'headers-timeout': '1', 'keep-alive-timeout': '1' });
      await s.listen();
    });
    after(() => s.close());

    it('cut slow headers, slow bodies and idle keep-alive connections', async () => {
      const cut = async (l: Listener) => {
        const slowHeaders = await rawConnect(l.port);
        await slowHeaders.write(`POST ${l.post} HTTP/1.1\r\nHost: 127.0.0.1:${l.port}\r\n`);
        const slowBody = await rawConnect(l.port);
        await slowBody.write(head(l, 'POST', l.post, 'Content-Length: 100\r\n\r\n[{"name":'));
        const idle = await rawConnect(l.port);
        await idle.write(
          `GET ${l.name === 'MCP' ? '/nowhere' : '/api/health'} HTTP/1.1\r\nHost: 127.0.0.1:${l.port}\r\n\r\n`,
        );
        await idle.response();
        for (const [what, c] of [
          ['slow headers', slowHeaders],
          ['slow body', slowBody],
        ] as const) {
          const r = parseResponse(await closedWithin(c, 15_000));
          assert.ok(r, `${l.name}, ${what}: closed without an answer`);
          assert.equal(r.status, 408, `${l.name}, ${what}`);
          assert.match(l.message(r.body), /--request-timeout 2 s/, `${l.name}, ${what}`);
        }
        await closedWithin(idle, 15_000);
      };
      await Promise.all(listeners(s).map(cut));
    });
  });
});
