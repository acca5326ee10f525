/**
 * Absolute links (`next_page` of events, of a flow run's events, at account scope, through the
 * REST gateway) follow one rule: `--public-url`; else the request's Host when it is a loopback
 * name, an IP literal or an `--allowed-host`; else the address the connection arrived on and the
 * listener's port. Any other Host is refused (421, see test/robustness/browser-safety.test.ts), so
 * it never reaches a link.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** A request over the network with the Host header of our choosing (fetch would not send one). */
function call(
  port: number,
  method: string,
  path: string,
  host: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

forEachEngine('absolute links', (engine) => {
  const run = uuid4();
  const seed = async (s: TestServer) => {
    const events = [1, 2, 3].map((i) =>
      ev({
        event: 'links.test',
        occurred: new Date(Date.now() - i * 1000).toISOString(),
        resource: { 'prefect.resource.id': `prefect.flow-run.${run}` },
      }),
    );
    assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
  };
  /** The next_page of every link-bearing route, asked with `host`. */
  const links = async (s: TestServer, port: number, host: string): Promise<string[]> => {
    const filter = { filter: { event: { name: ['links.test'] } }, limit: 1 };
    const pages = await Promise.all([
      call(port, 'POST', s.oss('/events/filter'), host, filter),
      call(port, 'POST', s.cloud('/events/filter'), host, filter),
      call(port, 'POST', `/api/accounts/${s.accountId}/events/filter`, host, filter),
      call(port, 'GET', s.oss(`/flow_runs/${run}/events?limit=1`), host),
    ]);
    for (const p of pages) assert.equal(p.status, 200, JSON.stringify(p.json));
    return pages.map((p) => p.json.next_page);
  };

  describe('without --public-url', () => {
    let s: TestServer;
    let port: number;
    before(async () => {
      s = await startServer(engine, { 'allowed-host': 'sightline.internal' });
      port = Number(new URL(await s.listen()).port);
      await seed(s);
    });
    after(() => s.close());

    it('use an allowed Host: a loopback name, an IP literal, an --allowed-host', async () => {
      for (const host of [
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        '[::1]:8443',
        '10.1.2.3',
        `SIGHTLINE.internal:${port}`,
      ]) {
        for (const link of await links(s, port, host))
          assert.ok(link.startsWith(`http://${host}/api/`), `${host}: ${link}`);
      }
    });

    it('never use another Host: the request is refused before any link is made', async () => {
      for (const host of [
        'attacker.example',
        `attacker.example:${port}`,
        'sightline.internal.attacker.example',
        'localhost@attacker.example',
      ]) {
        const r = await call(port, 'GET', s.oss(`/flow_runs/${run}/events?limit=1`), host);
        assert.equal(r.status, 421, `${host}: ${JSON.stringify(r.json)}`);
        assert.ok(!JSON.stringify(r.json).includes('next_page'));
      }
    });

    it('through the REST gateway, lead to the native API whatever Host the gateway was sent', async () => {
      const rest = Number(new URL(s.app.capabilities!.restUrls[0]).port);
      const r = await call(
        rest,
        'POST',
        `/v1/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/events/filter`,
        `sightline.internal:${rest}`,
        {
          filter: { event: { name: ['links.test'] } },
          limit: 1,
        },
      );
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(
        r.json.next_page.startsWith(
          `http://127.0.0.1:${port}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}/events/filter/next?`,
        ),
        r.json.next_page,
      );
    });
  });

  describe('with --public-url', () => {
    it('use it for every link, whatever served Host was sent', async () => {
      const s = await startServer(engine, { 'public-url': 'https://obs.example.com/sightline/api/' });
      try {
        const port = Number(new URL(await s.listen()).port);
        await seed(s);
        for (const host of ['obs.example.com', `127.0.0.1:${port}`]) {
          for (const link of await links(s, port, host))
            assert.ok(link.startsWith('https://obs.example.com/sightline/api/'), link);
        }
      } finally {
        await s.close();
      }
    });
  });
});
