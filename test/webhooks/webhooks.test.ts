/**
 * Webhooks (issue 25) against a local receiver: rules through the API, matching and signatures,
 * retries, a target that never answers, restarts and two instances. Time for retries comes from an
 * injected clock that the tests move forward.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, it } from 'node:test';
import { nowMicros } from '../../src/domain/time.ts';
import { ev, FLOW_RUN } from '../events/helpers.ts';
import { run } from '../helpers/cli.ts';
import { type Engine, forEachEngine, forEngine } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { startServer, startWithConfig, type TestServer } from '../helpers/server.ts';

interface Hit {
  headers: IncomingMessage['headers'];
  text: string;
  body: { event?: { id: string; event: string }; run_url?: string | null; text?: string };
}

/** A webhook target on loopback: records every request; `answer` decides (a status, or 'hang'). */
async function receiver(answer: (hit: Hit, n: number) => number | 'hang' | Promise<number> = () => 200) {
  const hits: Hit[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const hit = { headers: req.headers, text, body: JSON.parse(text) };
      hits.push(hit);
      const status = await r.answer(hit, hits.length);
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r = {
    hits,
    answer,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return r;
}

/** Waits for `cond` (polled), failing with `what` after a generous deadline. */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock the test moves: real time plus an offset. */
function movableClock() {
  let offset = 0;
  return { now: () => nowMicros() + offset, forward: (seconds: number) => (offset += seconds * 1_000_000) };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function server(engine: Engine, flags: Record<string, string> = {}, clock?: () => number) {
  const s = await startServer(engine, flags, { clock, webhookPollMs: 50 });
  cleanups.push(() => s.close());
  return s;
}

async function target(answer?: Parameters<typeof receiver>[0]) {
  const r = await receiver(answer);
  cleanups.push(r.close);
  return r;
}

const failed = (over: Parameters<typeof ev>[0] = {}) => ev({ event: 'prefect.flow-run.Failed', ...over });

async function createRule(s: TestServer, body: Record<string, unknown>) {
  const r = await s.request('POST', s.oss('/sightline/webhooks'), body);
  assert.equal(r.statusCode, 201, r.body);
  return JSON.parse(r.body) as { id: string; secret: string };
}

async function deliveries(s: TestServer, id: string) {
  const r = await s.request('GET', s.oss(`/sightline/webhooks/${id}/deliveries?limit=200`));
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body) as {
    event_id: string;
    attempts: number;
    status_code: number | null;
    error: string | null;
    next_attempt: string | null;
    delivered: string | null;
    gave_up: string | null;
  }[];
}

async function post(s: TestServer, events: Record<string, unknown>[]) {
  assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
}

const sign = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;

forEachEngine('webhooks', (engine) => {
  it('manages rules on both path families, rejecting bad input with a 422 naming the field', async () => {
    const s = await server(engine);
    for (const [body, field] of [
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'http://127.0.0.1/x', filter: { event: { nme: ['x'] } } }, 'nme'],
      [{ url: 'http://127.0.0.1/x', format: 'xml' }, 'format'],
      [{ url: 'http://127.0.0.1/x', secret: 'short' }, 'secret'],
    ] as const) {
      const r = await s.request('POST', s.oss('/sightline/webhooks'), body);
      assert.equal(r.statusCode, 422, `${JSON.stringify(body)}: ${r.body}`);
      assert.match(r.body, new RegExp(field));
    }
    const made = await createRule(s, { url: 'https://hooks.example.com/x', secret: 'my-own-secret-value' });
    assert.equal(made.secret, 'my-own-secret-value');
    const list = JSON.parse((await s.request('GET', s.cloud('/sightline/webhooks'))).body);
    assert.deepEqual(
      list.map((w: Record<string, unknown>) => [w.id, w.url, w.format, w.secret]),
      [[made.id, 'https://hooks.example.com/x', 'json', undefined]],
    );
    assert.equal((await s.request('DELETE', s.cloud(`/sightline/webhooks/${made.id}`))).statusCode, 204);
    assert.equal((await s.request('DELETE', s.oss(`/sightline/webhooks/${made.id}`))).statusCode, 404);
    assert.equal((await s.request('GET', s.oss(`/sightline/webhooks/${made.id}/deliveries`))).statusCode, 404);
  });

  it('sightline webhooks create|list|deliveries|delete work on the store beside a running server', async () => {
    const s = await server(engine);
    const r = await target();
    const cli = (...args: string[]) =>
      run(['webhooks', ...args, '--db', s.config.db, '--json'], {
        SIGHTLINE_DB: undefined,
        SIGHTLINE_DATA_DIR: undefined,
      });
    const bad = await cli('create', '--url', 'gopher://x');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /scheme must be http or https/);
    const made = await cli('create', '--url', r.url, '--event', 'prefect.flow-run.Failed', '--format', 'slack');
    assert.equal(made.code, 0, made.stderr);
    const [rule, { secret }] = made.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      [rule.format, rule.filter, typeof secret],
      ['slack', { event: { name: ['prefect.flow-run.Failed'] } }, 'string'],
    );
    const list = await cli('list');
    assert.deepEqual(JSON.parse(list.stdout).id, rule.id);
    const e = failed();
    await post(s, [e, ev()]);
    await until('the delivery', () => r.hits.length === 1);
    assert.equal(r.hits[0].headers['x-sightline-signature'], sign(secret, r.hits[0].text));
    await until('the log', async () => (await deliveries(s, rule.id))[0]?.delivered !== null);
    const log = await cli('deliveries', rule.id);
    assert.deepEqual([JSON.parse(log.stdout).event_id, JSON.parse(log.stdout).status_code], [e.id, 200]);
    assert.equal((await cli('delete', rule.id)).code, 0);
    assert.equal((await cli('list')).stdout, '');
  });

  it('needs an admin key under --auth', async () => {
    const s = await server(engine, { auth: 'true' });
    const write = await makeKey(s, 'write');
    const admin = await makeKey(s, 'admin');
    const body = { url: 'http://127.0.0.1:9/x' };
    assert.equal((await s.request('POST', s.oss('/sightline/webhooks'), body, write.bearer)).statusCode, 403);
    assert.equal((await s.request('GET', s.oss('/sightline/webhooks'), undefined, write.bearer)).statusCode, 403);
    assert.equal((await s.request('POST', s.oss('/sightline/webhooks'), body, admin.bearer)).statusCode, 201);
  });

  it('POSTs each matching event once, signed, with its run link; others are not sent', async () => {
    const s = await server(engine);
    const origin = (await s.listen()).slice(0, -'/api'.length);
    const r = await target();
    await post(s, [failed()]); // before the rule: not sent
    const rule = await createRule(s, { url: r.url, filter: { event: { name: ['prefect.flow-run.Failed'] } } });
    const [f1, done, f2] = [failed(), ev({ event: 'prefect.flow-run.Completed' }), failed()];
    await post(s, [f1, done]);
    await post(s, [f2]);
    await until('two deliveries', async () => (await deliveries(s, rule.id)).filter((d) => d.delivered).length === 2);
    assert.deepEqual(
      r.hits.map((h) => h.body.event?.id),
      [f1.id, f2.id],
    );
    for (const h of r.hits) {
      assert.equal(h.headers['x-sightline-signature'], sign(rule.secret, h.text));
      assert.equal(h.headers['x-sightline-delivery'], h.body.event?.id);
      assert.equal(h.headers['x-sightline-webhook'], rule.id);
      assert.equal(h.body.event?.event, 'prefect.flow-run.Failed');
      assert.equal(h.body.run_url, `${origin}/runs/${FLOW_RUN}?workspace=${s.workspaceId}`);
    }
    const log = await deliveries(s, rule.id);
    assert.deepEqual(
      log.map((d) => [d.event_id, d.attempts, d.status_code, d.gave_up]),
      [
        [f2.id, 1, 200, null],
        [f1.id, 1, 200, null],
      ],
    );
  });

  it('retries after a 500 with the same delivery id, gives up on a 404, and sends Slack bodies', async () => {
    const clock = movableClock();
    const s = await server(engine, {}, clock.now);
    await s.listen();
    const r = await target((h, n) => (h.body.text?.includes('Crashed') ? 404 : n === 1 ? 500 : 200));
    const rule = await createRule(s, {
      url: r.url,
      format: 'slack',
      filter: { event: { prefix: ['prefect.flow-run.'] } },
    });
    const e = failed();
    await post(s, [e]);
    await until('the first attempt', async () => (await deliveries(s, rule.id))[0]?.attempts === 1);
    const [first] = await deliveries(s, rule.id);
    assert.equal(first.status_code, 500);
    assert.ok(first.next_attempt && !first.delivered);
    clock.forward(10); // --webhook-retry-delay's default
    await until('the retry', async () => (await deliveries(s, rule.id))[0]?.delivered !== null);
    assert.equal(r.hits.length, 2);
    assert.equal(r.hits[0].headers['x-sightline-delivery'], e.id);
    assert.equal(r.hits[1].headers['x-sightline-delivery'], e.id);
    assert.equal(r.hits[1].text, r.hits[0].text);
    assert.match(r.hits[0].body.text!, /^prefect\.flow-run\.Failed: happy-otter <http:\/\/.+\/runs\/.+\|open run>$/);
    await post(s, [ev({ event: 'prefect.flow-run.Crashed' })]);
    await until('the 404', async () => (await deliveries(s, rule.id))[0]?.gave_up !== null);
    const [crashed] = await deliveries(s, rule.id);
    assert.deepEqual([crashed.attempts, crashed.status_code, crashed.next_attempt], [1, 404, null]);
    const metrics = (await s.request('GET', '/metrics')).body;
    for (const [outcome, n] of [
      ['delivered', 1],
      ['retry', 1],
      ['gave_up', 1],
    ])
      assert.match(metrics, new RegExp(`^sightline_webhook_attempts_total\\{outcome="${outcome}"\\} ${n}$`, 'm'));
    assert.match(metrics, /^sightline_webhook_requests_in_flight 0$/m);
  });

  it('keeps its queue bounded for a target that never answers, and loses nothing', async () => {
    const clock = movableClock();
    const s = await server(engine, { 'webhook-queue': '3', 'webhook-timeout': '1' }, clock.now);
    let hang = true;
    const r = await target(() => (hang ? 'hang' : 200));
    const rule = await createRule(s, { url: r.url });
    const events = Array.from({ length: 10 }, () => failed());
    await post(s, events);
    await until('three timed-out attempts', async () => {
      const log = await deliveries(s, rule.id);
      return log.length === 3 && log.every((d) => d.attempts >= 1);
    });
    const log = await deliveries(s, rule.id);
    assert.match(log[0].error!, /no answer within 1000 ms/);
    assert.ok(s.app.webhooks.inFlight.peak <= 3, `peak ${s.app.webhooks.inFlight.peak}`);
    // Retrying changes nothing else: the queue is full, so the position waits.
    clock.forward(10);
    await until('the retries, timed out', async () => (await deliveries(s, rule.id)).every((d) => d.attempts === 2));
    assert.equal((await deliveries(s, rule.id)).length, 3);
    assert.ok(r.hits.length === 6, `${r.hits.length} requests`);
    hang = false;
    clock.forward(60);
    await until(
      'every event delivered',
      async () => (await deliveries(s, rule.id)).filter((d) => d.delivered).length === events.length,
    );
    assert.deepEqual(
      new Set(r.hits.filter((h) => h.body.event).map((h) => h.body.event!.id)),
      new Set(events.map((e) => e.id)),
    );
  });

  it('continues a backlog after a restart: nothing lost, a repeat carries the same delivery id', async () => {
    const r = await target(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 200;
    });
    const s1 = await startServer(engine, {}, { webhookPollMs: 50 });
    const rule = await createRule(s1, { url: r.url });
    const events = Array.from({ length: 16 }, () => failed());
    await post(s1, events);
    await until('part of the backlog', () => r.hits.length >= 3);
    await s1.close();
    const s2 = await startWithConfig(s1.config, { webhookPollMs: 50 });
    cleanups.push(() => s2.close());
    await until(
      'the rest of the backlog',
      async () => (await deliveries(s2, rule.id)).filter((d) => d.delivered).length === events.length,
    );
    for (const h of r.hits) assert.equal(h.headers['x-sightline-delivery'], h.body.event?.id);
    assert.deepEqual(new Set(r.hits.map((h) => h.body.event?.id)), new Set(events.map((e) => e.id)));
  });
});

forEngine('postgres', 'webhooks on two instances', (engine) => {
  it('delivers each event once between two instances on one database', async () => {
    const r = await target();
    const a = await server(engine);
    const b = await startWithConfig(a.config, { webhookPollMs: 50 });
    cleanups.push(() => b.close());
    const rule = await createRule(b, { url: r.url });
    const events = Array.from({ length: 20 }, () => failed());
    await post(a, events.slice(0, 10));
    await post(b, events.slice(10));
    await until(
      'every event delivered',
      async () => (await deliveries(a, rule.id)).filter((d) => d.delivered).length === events.length,
    );
    await until('no request in flight', () => a.app.webhooks.inFlight.now + b.app.webhooks.inFlight.now === 0);
    assert.equal(r.hits.length, events.length);
    assert.deepEqual(new Set(r.hits.map((h) => h.body.event?.id)), new Set(events.map((e) => e.id)));
  });
});
