/**
 * Replays a recorded Prefect client transcript (`test/fixtures/prefect-client-transcripts/`)
 * against a Sightline listening on a loopback port: every HTTP request and every websocket frame
 * the client sent, in recorded order, with the ids the server minted substituted, and compares
 * every response with the recorded one by shape (the transcripts' README lists the volatile
 * values: ids, times, random run names, run-time figures).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

type Json = any;

export interface Transcript {
  scenario: string;
  /** When the first request was sent (`t_start_ms` 0). */
  recorded_at: string;
  http: HttpEntry[];
  websockets: WsEntry[];
}

interface HttpEntry {
  seq: number;
  t_start_ms: number;
  request: {
    method: string;
    target: string;
    path_template: string;
    headers: Record<string, string>;
    body_kind: string;
    body: Json;
  };
  response: { status: number; body_kind: string; body: Json };
}

interface WsEntry {
  seq: number;
  t_open_ms: number;
  target: string;
  closed: { t_ms: number; by: string; code: number };
  frames: { i: number; dir: string; t_abs_ms: number; kind: string; json?: boolean; data?: Json }[];
}

export function loadTranscript(name: string): Transcript {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/prefect-client-transcripts/${name}.json`, import.meta.url), 'utf8'),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Values that differ from run to run: compared by type (and nullness) only. */
const VOLATILE_TIMES = new Set([
  'created',
  'updated',
  'timestamp',
  'expected_start_time',
  'start_time',
  'end_time',
  'next_scheduled_start_time',
  'scheduled_time',
]);
const VOLATILE_NUMBERS = new Set(['total_run_time', 'estimated_run_time', 'estimated_start_time_delta']);

/** Recorded id → the id this server minted for the same object. Client-chosen ids map to themselves. */
export class IdMap {
  readonly map = new Map<string, string>();

  learn(recorded: string, actual: string, where: string): void {
    const known = this.map.get(recorded);
    if (known === undefined) {
      assert.ok(
        ![...this.map.values()].includes(actual) || recorded === actual,
        `${where}: ${actual} is already the id of another object`,
      );
      this.map.set(recorded, actual);
    } else assert.equal(actual, known, `${where}: recorded id ${recorded} was ${known} before`);
  }

  /** Replaces every known recorded id inside a string. */
  apply(text: string): string {
    let out = text;
    for (const [r, a] of this.map) if (r !== a && out.includes(r)) out = out.replaceAll(r, a);
    return out;
  }

  applyJson<T>(value: T): T {
    return value === undefined ? value : JSON.parse(this.apply(JSON.stringify(value)));
  }
}

/** Compares a response body with the recorded one; learns ids on the way. */
export function compareShape(
  recorded: Json,
  actual: Json,
  ids: IdMap,
  where: string,
  opts: { extraKeysOk: boolean },
): void {
  if (recorded === null || typeof recorded !== 'object') {
    if (typeof recorded === 'string' && UUID.test(recorded)) {
      assert.ok(
        typeof actual === 'string' && UUID.test(actual),
        `${where}: expected a UUID, got ${JSON.stringify(actual)}`,
      );
      ids.learn(recorded, actual, where);
      return;
    }
    const key = where.slice(where.lastIndexOf('.') + 1);
    if (VOLATILE_TIMES.has(key) && typeof recorded === 'string') {
      assert.ok(
        typeof actual === 'string' && ISO.test(actual),
        `${where}: expected a datetime, got ${JSON.stringify(actual)}`,
      );
      return;
    }
    if (VOLATILE_NUMBERS.has(key) && typeof recorded === 'number') {
      assert.equal(typeof actual, 'number', `${where}: expected a number`);
      assert.ok(actual >= 0, `${where}: negative duration ${actual}`);
      return;
    }
    if (typeof recorded === 'string') {
      assert.equal(actual, ids.apply(recorded), where);
      return;
    }
    assert.equal(actual, recorded, where);
    return;
  }
  if (Array.isArray(recorded)) {
    assert.ok(Array.isArray(actual), `${where}: expected a list, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, recorded.length, `${where}: list length`);
    // Objects with ids pair by id (their order follows the volatile ids), the rest by position.
    const byId = new Map<string, Json>();
    for (const a of actual) if (a && typeof a === 'object' && typeof a.id === 'string') byId.set(a.id, a);
    recorded.forEach((r: Json, i: number) => {
      const mapped = r && typeof r === 'object' && typeof r.id === 'string' ? ids.map.get(r.id) : undefined;
      const a = mapped !== undefined && byId.has(mapped) ? byId.get(mapped) : actual[i];
      compareShape(r, a, ids, `${where}[${i}]`, opts);
    });
    return;
  }
  assert.ok(
    actual && typeof actual === 'object' && !Array.isArray(actual),
    `${where}: expected an object, got ${JSON.stringify(actual)}`,
  );
  const rk = Object.keys(recorded).sort();
  const ak = Object.keys(actual).sort();
  if (opts.extraKeysOk) for (const k of rk) assert.ok(k in actual, `${where}: missing key ${k}`);
  else assert.deepEqual(ak, rk, `${where}: keys`);
  // Flow-run names are random slugs: same type only. Everything else in a run is compared.
  const randomName = 'flow_id' in recorded && !('task_key' in recorded);
  for (const k of rk) {
    if (k === 'name' && randomName) {
      assert.equal(typeof actual[k], 'string', `${where}.name`);
      continue;
    }
    compareShape(recorded[k], actual[k], ids, `${where}.${k}`, opts);
  }
}

export interface ReplayReport {
  http: number;
  frames: number;
  ids: IdMap;
}

/**
 * Replays the transcript against `base` (`http://127.0.0.1:PORT`). HTTP calls and websocket
 * frames run in recorded time order; before an HTTP call that follows frames, a ping is sent and
 * its pong awaited (the server answers a ping once every event before it is committed).
 * `authString` is sent as the Prefect client sends `PREFECT_API_AUTH_STRING`: HTTP Basic on every
 * call, and the websocket `auth` message's token. `onTime` replays at the recorded pace with every
 * time the client sent (events' `occurred`, log timestamps) moved to now, so that the times the
 * client reports and those the server stamps (flow-run states) fall on one clock, as they did when
 * recorded; otherwise the steps follow each other at once.
 */
export async function replay(
  t: Transcript,
  base: string,
  opts: { authString?: string; onTime?: boolean } = {},
): Promise<ReplayReport> {
  const { authString } = opts;
  const started = Date.now();
  const shift = opts.onTime ? started - Date.parse(t.recorded_at) : 0;
  const moved = (v: Json): Json => {
    if (!shift) return v;
    if (typeof v === 'string') return ISO.test(v) ? new Date(Date.parse(v) + shift).toISOString() : v;
    if (Array.isArray(v)) return v.map(moved);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, moved(x)]));
    return v;
  };
  const ids = new IdMap();
  type Step = { at: number; run: () => Promise<void> };
  const steps: Step[] = [];
  let socket: WebSocket | undefined;
  let unsynced = false;
  let frames = 0;

  const sync = async () => {
    if (!socket || !unsynced) return;
    const s = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pong within 10 s')), 10_000);
      s.once('pong', () => {
        clearTimeout(timer);
        resolve();
      });
      s.ping();
    });
    unsynced = false;
  };

  for (const h of t.http) {
    steps.push({
      at: h.t_start_ms,
      run: async () => {
        await sync();
        const req = h.request;
        const url = base + ids.apply(req.target);
        const headers: Record<string, string> = {};
        for (const k of [
          'x-prefect-api-version',
          'user-agent',
          'content-type',
          'x-prefect-flow-id',
          'x-prefect-flow-name',
        ]) {
          if (req.headers[k]) headers[k] = ids.apply(req.headers[k]);
        }
        if (authString) headers.authorization = `Basic ${Buffer.from(authString).toString('base64')}`;
        const body = req.body_kind === 'json' ? JSON.stringify(moved(ids.applyJson(req.body))) : undefined;
        const res = await fetch(url, { method: req.method, headers, body, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        const where = `seq ${h.seq} ${req.method} ${req.path_template}`;
        assert.equal(res.status, h.response.status, `${where}: status (${text.slice(0, 300)})`);
        if (h.response.body_kind === 'json') {
          const actual = text === '' ? undefined : JSON.parse(text);
          compareShape(h.response.body, actual, ids, where, {
            extraKeysOk: req.path_template.startsWith('/api/logs/'),
          });
        }
      },
    });
  }

  for (const w of t.websockets) {
    steps.push({
      at: w.t_open_ms,
      run: async () => {
        const url = base.replace(/^http/, 'ws') + ids.apply(w.target);
        const s = new WebSocket(url, 'prefect');
        await new Promise<void>((resolve, reject) => {
          s.once('open', () => resolve());
          s.once('error', reject);
          s.once('unexpected-response', (_req, res) =>
            reject(new Error(`${w.target}: upgrade answered ${res.statusCode}`)),
          );
        });
        assert.equal(s.protocol, 'prefect');
        socket = s;
        unsynced = true;
        await sync();
        const reply = new Promise<Json>((resolve) => s.once('message', (d) => resolve(JSON.parse(String(d)))));
        s.send(JSON.stringify({ type: 'auth', token: authString ?? null }));
        assert.deepEqual(await reply, { type: 'auth_success' });
      },
    });
    for (const f of w.frames) {
      // The handshake (ping, auth) is done on open; the rest is one event per text frame.
      if (f.dir !== 'client->server' || f.kind !== 'text' || !f.json || f.data?.type === 'auth') continue;
      steps.push({
        at: f.t_abs_ms,
        run: async () => {
          socket!.send(JSON.stringify(moved(ids.applyJson(f.data))));
          unsynced = true;
          frames++;
        },
      });
    }
    steps.push({
      at: w.t_open_ms + w.closed.t_ms,
      run: async () => {
        await sync();
        const s = socket!;
        await new Promise<void>((resolve) => {
          s.once('close', (code) => {
            assert.equal(code, w.closed.code);
            resolve();
          });
          s.close(w.closed.code);
        });
        socket = undefined;
      },
    });
  }

  steps.sort((a, b) => a.at - b.at);
  for (const step of steps) {
    const wait = started + step.at - Date.now();
    if (opts.onTime && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await step.run();
  }
  return { http: t.http.length, frames, ids };
}
