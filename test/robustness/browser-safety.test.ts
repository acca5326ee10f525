/**
 * Browser safety on every listener (native API on both path families, websockets, REST gateway,
 * MCP), with no keys configured: a web page must not write (CSRF with the body types a page
 * sends without asking), read live streams (websockets accept no foreign Origin), or reach the
 * server under a name of its own (DNS rebinding: Host is checked); X-Forwarded-* count only from
 * a --trusted-proxy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { logItem } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

interface Answer {
  status: number;
  json: any;
}

/** A request over the network with exactly the headers given (Host included). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The HTTP status a websocket upgrade is refused with (0 when it opened, then closed by us). */
async function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  try {
    const sock = await openSocket(url, { headers });
    sock.ws.close();
    await sock.closed;
    return 0;
  } catch (err) {
    const m = /Unexpected server response: (\d+)/.exec(String((err as Error).message));
    assert.ok(m, String(err));
    return Number(m[1]);
  }
}

const CROSS_SITE_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain;charset=UTF-8',
  'application/xml',
];

forEachEngine('browser safety', (engine) => {
  describe('without a proxy', () => {
    let s: TestServer;
    let api: number;
    let rest: number;
    let mcp: number;
    const host = () => `127.0.0.1:${api}`;
    /** How many log lines belong to flow run `marker`. */
    const stored = async (marker: string) => {
      const r = await s.request('POST', s.oss('/logs/filter'), { logs: { flow_run_id: { any_: [marker] } } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().length;
    };

    before(async () => {
      s = await startServer(engine, {
        'cors-origin': 'https://ui.example.com',
        'public-url': 'https://obs.example.com',
        'allowed-host': 'sightline.internal',
      });
      api = Number(new URL(await s.listen()).port);
      rest = Number(new URL(s.app.capabilities!.restUrls[0]).port);
      mcp = Number(new URL(s.app.capabilities!.mcpUrls[0]).port);
    });
    after(() => s.close());

    it('refuses a cross-site body type with 415 on both path families, and stores nothing', async () => {
      for (const path of [s.oss('/logs/'), s.cloud('/logs/')]) {
        for (const type of CROSS_SITE_TYPES) {
          const marker = uuid4();
          const body = JSON.stringify([logItem({ flow_run_id: marker })]);
          const r = await call(api, 'POST', path, { host: host(), 'content-type': type }, body);
          assert.equal(r.status, 415, `${path} ${type}`);
          assert.match(r.json.detail, /application\/json/);
          assert.equal(await stored(marker), 0, `${path} ${type}`);
        }
      }
      // An event POST too, and a bodyless POST whose missing body would mean {}.
      const e = await call(api, 'POST', s.oss('/events'), { host: host(), 'content-type': 'text/plain' }, '[]');
      assert.equal(e.status, 415);
      const empty = await call(api, 'POST', s.oss('/logs/filter'), { host: host(), 'content-type': 'text/plain' });
      assert.equal(empty.status, 415);
    });

    it('parses JSON with a JSON content type (parameters, +json) or none', async () => {
      for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.x+json', undefined]) {
        const marker = uuid4();
        const headers: Record<string, string> = { host: host() };
        if (type) headers['content-type'] = type;
        const r = await call(api, 'POST', s.oss('/logs/'), headers, JSON.stringify([logItem({ flow_run_id: marker })]));
        assert.equal(r.status, 201, `${type}: ${JSON.stringify(r.json)}`);
        assert.equal(await stored(marker), 1, String(type));
      }
      // A GET naming a type without a body is not refused (some clients send one).
      const g = await call(api, 'GET', '/api/health', { host: host(), 'content-type': 'text/plain' });
      assert.equal(g.status, 200);
    });

    it('refuses a foreign Origin with 403 and stores nothing; own and --cors-origin pass', async () => {
      const post = (origin: string, marker: string) =>
        call(
          api,
          'POST',
          s.oss('/logs/'),
          { host: host(), origin, 'content-type': 'application/json' },
          JSON.stringify([logItem({ flow_run_id: marker })]),
        );
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${api + 1}`, `https://${host()}`]) {
        const marker = uuid4();
        const r = await post(origin, marker);
        assert.equal(r.status, 403, origin);
        assert.match(r.json.detail, /--cors-origin/);
        assert.equal(await stored(marker), 0, origin);
      }
      for (const origin of [`http://${host()}`, 'https://ui.example.com', 'https://obs.example.com']) {
        const r = await post(origin, uuid4());
        assert.equal(r.status, 201, `${origin}: ${JSON.stringify(r.json)}`);
      }
    });

    it('refuses a Host that is not ours with 421 (DNS rebinding)', async () => {
      for (const h of ['attacker.example', `attacker.example:${api}`, 'sightline.internal.attacker.example']) {
        const r = await call(api, 'GET', s.oss('/flow_runs/filter'), { host: h });
        assert.equal(r.status, 421, h);
        assert.match(r.json.detail, /--allowed-host/);
      }
      for (const h of [host(), `localhost:${api}`, '[::1]', '10.0.0.7', 'sightline.internal', 'obs.example.com']) {
        const r = await call(api, 'GET', '/api/health', { host: h });
        assert.equal(r.status, 200, h);
      }
    });

    it('applies the same rules to websocket upgrades on both path families', async () => {
      const base = `http://${host()}`;
      for (const path of ['/logs/out', '/events/out', '/events/in']) {
        for (const url of [wsUrl(base, s.oss(path)), wsUrl(base, s.cloud(path))]) {
          assert.equal(await upgradeStatus(url, { origin: 'https://evil.example' }), 403, url);
          assert.equal(await upgradeStatus(url, { host: 'attacker.example' }), 421, url);
          assert.equal(await upgradeStatus(url, { origin: base }), 0, url);
          assert.equal(await upgradeStatus(url, { origin: 'https://ui.example.com' }), 0, url);
        }
      }
    });

    it('applies them on the REST gateway, in its error shape', async () => {
      const path = `/v1/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/logs`;
      const h = `127.0.0.1:${rest}`;
      const marker = uuid4();
      const body = JSON.stringify([logItem({ flow_run_id: marker })]);
      const typed = await call(rest, 'POST', path, { host: h, 'content-type': 'text/plain' }, body);
      assert.equal(typed.status, 415);
      assert.equal(typed.json.code, 'unsupported_media_type');
      assert.match(typed.json.message, /application\/json/);
      const origin = await call(rest, 'POST', path, { host: h, origin: 'https://evil.example' }, body);
      assert.equal(origin.status, 403);
      assert.equal(origin.json.code, 'forbidden');
      const rebound = await call(rest, 'POST', path, { host: 'attacker.example' }, body);
      assert.equal(rebound.status, 421);
      assert.equal(rebound.json.code, 'misdirected_request');
      assert.equal(await stored(marker), 0);
      const ok = await call(
        rest,
        'POST',
        path,
        { host: h, 'content-type': 'application/json', origin: `http://${h}` },
        body,
      );
      assert.ok(ok.status >= 200 && ok.status < 300, `${ok.status} ${JSON.stringify(ok.json)}`);
      assert.equal(await stored(marker), 1);
    });

    it('applies them on MCP, as JSON-RPC errors', async () => {
      const h = `127.0.0.1:${mcp}`;
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      const accept = 'application/json, text/event-stream';
      const typed = await call(mcp, 'POST', '/mcp', { host: h, accept, 'content-type': 'text/plain' }, body);
      assert.equal(typed.status, 415);
      assert.match(typed.json.error.message, /application\/json/);
      const origin = await call(
        mcp,
        'POST',
        '/mcp',
        { host: h, accept, 'content-type': 'application/json', origin: 'https://evil.example' },
        body,
      );
      assert.equal(origin.status, 403);
      assert.equal(origin.json.jsonrpc, '2.0');
      const rebound = await call(mcp, 'POST', '/mcp', { host: 'attacker.example', accept }, body);
      assert.equal(rebound.status, 421);
    });

    it('ignores X-Forwarded-* from a client that is not a trusted proxy', async () => {
      const r = await call(api, 'GET', '/api/health', { host: host(), 'x-forwarded-host': 'attacker.example' });
      assert.equal(r.status, 200);
    });

    it('documents the account and workspace routes in /api/openapi.json', async () => {
      const doc = (await s.request('GET', '/api/openapi.json')).json();
      assert.ok(doc.paths['/api/me/workspaces']?.get);
      assert.ok(doc.paths['/api/accounts/{account_id}/workspaces/']?.post);
      // Sightline's version, with the Prefect API version its routes follow beside it.
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
      assert.equal(doc.info.version, pkg.version);
      assert.match(doc.info['x-prefect-api-version'], /^\d+\.\d+\.\d+$/);
    });
  });

  describe('behind a --trusted-proxy', () => {
    let s: TestServer;
    let api: number;
    const run = uuid4();
    before(async () => {
      s = await startServer(engine, {
        'trusted-proxy': '127.0.0.0/8',
        'allowed-host': 'obs.internal',
        'ws-max-connections': '1',
      });
      api = Number(new URL(await s.listen()).port);
    });
    after(() => s.close());

    it('takes links and the Host check from X-Forwarded-Host and -Proto', async () => {
      const path = s.oss(`/flow_runs/${run}/events?limit=1`);
      const headers = { host: `127.0.0.1:${api}`, 'x-forwarded-proto': 'https' };
      const ok = await call(api, 'GET', path, { ...headers, 'x-forwarded-host': 'obs.internal' });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      const refused = await call(api, 'GET', path, { ...headers, 'x-forwarded-host': 'attacker.example' });
      assert.equal(refused.status, 421);
      // The page's origin is the one the proxy was addressed by.
      const same = await call(api, 'GET', '/api/health', {
        ...headers,
        'x-forwarded-host': 'obs.internal',
        origin: 'https://obs.internal',
      });
      assert.equal(same.status, 200);
    });

    it('counts websockets per client address from X-Forwarded-For', async () => {
      const url = wsUrl(`http://127.0.0.1:${api}`, s.oss('/events/in'));
      const a = await openSocket(url, { headers: { 'x-forwarded-for': '203.0.113.1' } });
      const b = await openSocket(url, { headers: { 'x-forwarded-for': '203.0.113.2' } });
      const a2 = await openSocket(url, {
        auth: false,
        headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.1' },
      });
      assert.equal((await a2.closed).code, 1013);
      for (const sock of [a, b]) {
        assert.equal(sock.ws.readyState, sock.ws.OPEN);
        sock.ws.close();
        await sock.closed;
      }
    });
  });
});
