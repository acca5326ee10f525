/**
 * Hostile clients against a spawned `sightline serve`, whose memory and descriptors are read from
 * /proc: hundreds of live subscribers that never read, sockets that never authenticate or never
 * subscribe, all while ingest goes on. Ingest keeps answering; slow consumers are closed with
 * 1013 and silent sockets with 1008; once the clients are gone, RSS and open descriptors return
 * near their baseline. The server runs with `NODE_OPTIONS=--insecure-http-parser`, which must not
 * loosen its parser.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { type Served, serve } from '../helpers/cli.ts';
import { forEachEngine, tempDir } from '../helpers/engines.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { wsUrl } from '../helpers/ws.ts';

const MB = 1024 * 1024;

function rss(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}
const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Client {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket; with `first` messages, sends them in order, answering the handshake. */
function client(url: string, protocols: string[], first: unknown[] = []): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.once('error', reject);
    ws.once('open', () => {
      if (first.length === 0) return resolve({ ws, closed });
      ws.send(JSON.stringify(first[0]));
      if (protocols.length === 0) {
        for (const m of first.slice(1)) ws.send(JSON.stringify(m));
        return resolve({ ws, closed });
      }
      ws.once('message', () => {
        for (const m of first.slice(1)) ws.send(JSON.stringify(m));
        resolve({ ws, closed });
      });
    });
  });
}

/** Stops reading the socket: the server's writes pile up in its buffers. */
const stopReading = (c: Client) => (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
const startReading = (c: Client) => (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();

async function inBatches<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 50)
    out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => make(i + j)))));
  return out;
}

const summary = (codes: unknown[]) =>
  JSON.stringify(Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length])));

const text = (i: number) => `${i} ${'lorem ipsum dolor sit amet '.repeat(40)}`;

forEachEngine('hostile websocket clients', (engine) => {
  let served: Served;
  let api: string;
  let pid: number;

  before(async () => {
    served = await serve(
      [
        '--port',
        '0',
        '--data-dir',
        tempDir(),
        '--db',
        await engine.newDatabaseUrl(),
        '--log-level',
        'warn',
        '--no-capabilities',
        '--ws-max-connections',
        '1000',
        '--ws-handshake-timeout',
        '2',
        '--live-queue',
        '100',
      ],
      { NODE_OPTIONS: '--insecure-http-parser' },
    );
    api = served.lines.api;
    pid = served.child.pid!;
  });
  after(async () => {
    served?.child.kill('SIGTERM');
    await served?.exited;
  });

  let logN = 0;
  const postLogs = async (n: number) => {
    const now = new Date().toISOString();
    const body = Array.from({ length: n }, () => ({
      name: 'hostile',
      level: 20,
      message: text(logN++),
      timestamp: now,
    }));
    const r = await fetch(`${api}/logs/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 201, await r.text());
  };
  const postEvents = async (n: number, payloadChars = 1000) => {
    const body = Array.from({ length: n }, (_, i) => ({
      id: crypto.randomUUID(),
      event: 'hostile.tick',
      occurred: new Date().toISOString(),
      resource: { 'prefect.resource.id': `hostile.${i}` },
      payload: { text: 'x'.repeat(payloadChars) },
    }));
    const r = await fetch(`${api}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 204, await r.text());
  };

  it('keeps its strict HTTP parser whatever NODE_OPTIONS says', async () => {
    const port = Number(new URL(api).port);
    const r = await rawRequest(
      port,
      'POST /api/logs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n',
    );
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).detail, /Malformed HTTP request/);
  });

  it('keeps ingest answering under hundreds of clients that never read, closes them, and gives back memory', {
    timeout: 180_000,
  }, async (t) => {
    for (let i = 0; i < 10; i++) {
      await postLogs(500);
      await postEvents(100);
    }
    const baseline = { rss: rss(pid), fds: openFds(pid) };

    const logsOut = await inBatches(150, () =>
      client(
        wsUrl(api, '/logs/out'),
        ['prefect'],
        [
          { type: 'auth', token: null },
          { type: 'filter', filter: {} },
        ],
      ),
    );
    const eventsOut = await inBatches(50, () =>
      client(
        wsUrl(api, '/events/out'),
        ['prefect'],
        [
          { type: 'auth', token: null },
          { type: 'filter', filter: {}, backfill: false },
        ],
      ),
    );
    const slow = [...logsOut, ...eventsOut];
    for (const c of slow) stopReading(c);
    const silent = await inBatches(50, () => client(wsUrl(api, '/events/in'), ['prefect']));
    const unsubscribed = await inBatches(50, () => client(wsUrl(api, '/events/out'), []));

    // Enough for every subscriber to fill its socket's kernel buffers (a few MB on loopback), then
    // its --ws-max-buffer, then its --live-queue: 13 MB of logs, 8 MB of events.
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await postLogs(500);
      await postEvents(50, 8000);
      assert.equal((await fetch(`${api}/health`)).status, 200);
      peak = Math.max(peak, rss(pid));
    }
    for (const c of [...silent, ...unsubscribed]) assert.equal((await c.closed).code, 1008, (await c.closed).reason);
    assert.deepEqual((await silent[0].closed).reason, 'No auth message within 2 s');
    assert.deepEqual((await unsubscribed[0].closed).reason, 'No filter message within 2 s');

    for (const c of slow) startReading(c);
    const codes: (number | 'open')[] = slow.map(() => 'open');
    slow.forEach((c, i) => {
      void c.closed.then((x) => {
        codes[i] = x.code;
      });
    });
    await until(
      () => !codes.includes('open'),
      60_000,
      () => `slow consumers to be closed: ${summary(codes)}`,
    );
    assert.deepEqual(
      codes.filter((c) => c !== 1013),
      [],
      'every subscriber that stopped reading was closed as a slow consumer',
    );
    assert.match((await logsOut[0].closed).reason, /^Subscriber cannot keep up: more than 100 logs waiting/);
    assert.match((await eventsOut[0].closed).reason, /^Subscriber cannot keep up: more than 100 events committed/);

    // Memory and descriptors come back while ingest goes on (descriptors within the PostgreSQL
    // pool's growth: leaked sockets would be hundreds).
    await until(
      async () => {
        await postLogs(100);
        return rss(pid) < baseline.rss + 60 * MB && openFds(pid) <= baseline.fds + 15;
      },
      60_000,
      () =>
        `RSS ${Math.round(rss(pid) / MB)} MB (baseline ${Math.round(baseline.rss / MB)}, peak ${Math.round(peak / MB)}), ${openFds(pid)} fds (baseline ${baseline.fds})`,
    );
    t.diagnostic(
      `RSS baseline ${Math.round(baseline.rss / MB)} MB, peak ${Math.round(peak / MB)} MB, after ${Math.round(rss(pid) / MB)} MB`,
    );
  });
});
