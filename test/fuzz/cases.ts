/**
 * One fuzz case: a valid baseline request for an operation (from its schema, aimed at the seeded
 * data), then at most one mutation from the issue's list — in the path, the query, a header, the
 * body, the JSON-RPC envelope or a websocket frame. Everything is drawn from the case's own `Rng`.
 */
import { gzipSync } from 'node:zlib';
import type { Operation, Param } from './operations.ts';
import type { Rng } from './rng.ts';
import {
  atBounds,
  HOSTILE_IDS,
  HOSTILE_QUERY,
  hostile,
  jsonText,
  type Pool,
  Raw,
  type Schema,
  valid,
} from './values.ts';

export type Case =
  | {
      kind: 'http';
      surface: 'api' | 'rest';
      label: string;
      mutation: string;
      method: string;
      url: string;
      headers: Record<string, string>;
      body?: Buffer;
    }
  | { kind: 'mcp'; label: string; mutation: string; headers: Record<string, string>; body: Buffer }
  | { kind: 'ws'; label: string; mutation: string; url: string; protocols: string[]; frames: Frame[] };

/** A websocket frame: text (possibly not valid UTF-8, when given as bytes) or binary. */
export interface Frame {
  data: string | Buffer;
  binary: boolean;
}

/** Schemas of websocket messages, read from the API document (the same ones the routes use). */
export interface WsSchemas {
  event: Schema;
  eventFilter: Schema;
  logFilter: Schema;
}

export interface CaseContext {
  rng: Rng;
  pool: Pool;
  ws: WsSchemas;
  maxBody: number;
  /** Send bodies of `maxBody + 1` bytes (see `FuzzOptions.overLimitUploads`). */
  overLimitUploads: boolean;
}

// ---- locations inside a JSON value ---------------------------------------------------------

type Loc = (string | number)[];

function locations(v: unknown, loc: Loc = [], out: Loc[] = [], depth = 0): Loc[] {
  out.push(loc);
  if (depth > 8 || v === null || typeof v !== 'object' || v instanceof Raw) return out;
  if (Array.isArray(v)) for (let i = 0; i < Math.min(v.length, 5); i++) locations(v[i], [...loc, i], out, depth + 1);
  else for (const [k, x] of Object.entries(v)) locations(x, [...loc, k], out, depth + 1);
  return out;
}

function setAt(root: unknown, loc: Loc, value: unknown): unknown {
  if (!loc.length) return value;
  let cur = root as Record<string | number, unknown>;
  for (const k of loc.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[loc[loc.length - 1]] = value;
  return root;
}

function deleteAt(root: unknown, loc: Loc): void {
  let cur = root as Record<string | number, unknown>;
  for (const k of loc.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = loc[loc.length - 1];
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
}

const UNKNOWN_KEYS = ['unknown_field', 'a\u0000b', 'k'.repeat(2000), '__proto__', 'constructor', '', 'x\ud800'];

/** Mutates a JSON value in one of the ways the issue lists; returns the new value and what was done. */
function mutateValue(rng: Rng, value: unknown): [unknown, string] {
  const locs = locations(value);
  const kind = rng.weighted([
    ['field', 6],
    ['missing', 2],
    ['unknown', 2],
    ['whole', 1],
  ] as const);
  if (kind === 'missing') {
    const keyed = locs.filter((l) => l.length > 0);
    if (keyed.length) {
      const loc = rng.pick(keyed);
      deleteAt(value, loc);
      return [value, `missing ${loc.join('.')}`];
    }
  }
  if (kind === 'unknown') {
    const objects = locs.filter((l) => {
      let cur: unknown = value;
      for (const k of l) cur = (cur as Record<string | number, unknown>)[k];
      return cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof Raw);
    });
    if (objects.length) {
      const loc = rng.pick(objects);
      let cur = value as Record<string, unknown>;
      for (const k of loc) cur = cur[k] as Record<string, unknown>;
      const key = rng.pick(UNKNOWN_KEYS);
      const [label, v] = hostile(rng);
      Object.defineProperty(cur, key, { value: v, enumerable: true, writable: true, configurable: true });
      return [value, `unknown key ${JSON.stringify(key.slice(0, 20))} at ${loc.join('.') || 'root'} = ${label}`];
    }
  }
  const loc = kind === 'whole' ? [] : rng.pick(locs);
  const [label, v] = hostile(rng);
  return [setAt(value, loc, v), `${loc.join('.') || 'whole value'} = ${label}`];
}

/** Raw bytes that are not the JSON they claim to be. */
function badBytes(rng: Rng, text: string): [Buffer, string] {
  const kind = rng.pick([
    'truncated JSON',
    'invalid JSON',
    'invalid UTF-8',
    'truncated UTF-8',
    'empty',
    'BOM',
    'trailing garbage',
  ] as const);
  const b = Buffer.from(text);
  switch (kind) {
    case 'truncated JSON':
      return [b.subarray(0, rng.int(Math.max(1, b.length))), kind];
    case 'invalid JSON':
      return [Buffer.from(rng.pick(['{', '[1,]', "{'a':1}", 'nul', '{"a":1}}', '"\\x"', '0x10', '{"a" 1}'])), kind];
    case 'invalid UTF-8': {
      const at = rng.int(b.length + 1);
      return [Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), b.subarray(at)]), kind];
    }
    case 'truncated UTF-8':
      return [Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from('"é'), Buffer.from([0xe6, 0x97])]), kind];
    case 'empty':
      return [Buffer.alloc(0), kind];
    case 'BOM':
      return [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]), kind];
    default:
      return [Buffer.concat([b, Buffer.from(' trailing')]), kind];
  }
}

let bomb: Buffer | undefined;
/** 1 GiB of zeros, gzipped (about 1 MB), made once. */
function gzipBomb(): Buffer {
  if (!bomb) {
    const chunk = Buffer.alloc(64 * 1024 * 1024);
    const parts: Buffer[] = [];
    for (let i = 0; i < 16; i++) parts.push(gzipSync(chunk, { level: 9 }));
    // Concatenated gzip members are one valid gzip stream.
    bomb = Buffer.concat(parts);
  }
  return bomb;
}

// ---- HTTP operations (native API and REST gateway) -----------------------------------------

function queryValue(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(queryValue);
  if (v === undefined || v === null) return [];
  return [encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v))];
}

function httpCase(op: Extract<Operation, { surface: 'api' | 'rest' }>, ctx: CaseContext): Case {
  const { rng } = ctx;
  const pool = op.method === 'DELETE' ? { ...ctx.pool, ...ctx.pool.doomed } : ctx.pool;
  const gen = (schema: Schema | undefined, name: string) => valid(schema, name, { rng, pool, route: op.path });
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');
  const path: Record<string, string> = {};
  for (const p of pathParams) path[p.name] = encodeURIComponent(String(gen(p.schema, p.name)));
  const query: [string, string][] = [];
  for (const p of queryParams)
    if (p.required || rng.chance(0.4)) for (const v of queryValue(gen(p.schema, p.name))) query.push([p.name, v]);
  const headers: Record<string, string> = {};
  for (const p of headerParams) if (rng.chance(0.3)) headers[p.name] = rng.pick(['"3"', '*', 'W/"x"', '"0"']);
  let body: unknown = op.body ? gen(op.body, 'body') : undefined;
  let raw: Buffer | undefined;
  if (op.body) headers['content-type'] = 'application/json';

  const has = (b: boolean, w: number) => (b ? w : 0);
  const tokenParam = queryParams.find((p) => p.name === 'page-token');
  const bounded = [
    ...queryParams
      .filter((p) => atBounds(p.schema).length)
      .map((p) => ({ where: 'query' as const, name: p.name, schema: p.schema })),
    ...Object.entries((op.body?.properties ?? {}) as Record<string, Schema>)
      .filter(([, ps]) => atBounds(ps).length)
      .map(([name, schema]) => ({ where: 'body' as const, name, schema })),
  ];
  const mutation = rng.weighted([
    ['none', 6],
    ['at a bound', has(bounded.length > 0, 6)],
    ['path id', has(pathParams.length > 0, 8)],
    ['query value', has(queryParams.length > 0, 6)],
    ['query repeat', has(queryParams.length > 0, 3)],
    ['query unknown', 2],
    ['body value', has(!!op.body, 16)],
    ['body bytes', has(!!op.body, 5)],
    ['body on a bodiless route', has(!op.body, 2)],
    ['content type', has(!!op.body, 3)],
    ['page token', has(!!tokenParam, 6)],
    ['api version', has(op.surface === 'api', 1)],
    ['max body + 1', has(!!op.body && ctx.overLimitUploads, 0.5)],
    ['gzip bomb', 0.25],
  ] as const);
  let detail: string = mutation;
  switch (mutation) {
    case 'at a bound': {
      const target = rng.pick(bounded);
      const [label, v] = rng.pick(atBounds(target.schema));
      if (target.where === 'query') {
        for (let i = query.length - 1; i >= 0; i--) if (query[i][0] === target.name) query.splice(i, 1);
        for (const x of queryValue(v)) query.push([target.name, x]);
      } else if (body && typeof body === 'object' && !Array.isArray(body))
        (body as Record<string, unknown>)[target.name] = v;
      detail = `${target.where} ${target.name} at ${label}`;
      break;
    }
    case 'path id': {
      const p = rng.pick(pathParams);
      path[p.name] = rng.pick(HOSTILE_IDS);
      detail = `path ${p.name} = ${path[p.name].slice(0, 40)}`;
      break;
    }
    case 'query value': {
      const p: Param = rng.pick(queryParams);
      const v = rng.pick(HOSTILE_QUERY);
      for (let i = query.length - 1; i >= 0; i--) if (query[i][0] === p.name) query.splice(i, 1);
      query.push([p.name, v]);
      detail = `query ${p.name} = ${v.slice(0, 40)}`;
      break;
    }
    case 'query repeat': {
      const p = rng.pick(queryParams);
      query.push([p.name, rng.pick(HOSTILE_QUERY)], [p.name, queryValue(gen(p.schema, p.name))[0] ?? 'x']);
      detail = `query ${p.name} repeated`;
      break;
    }
    case 'query unknown':
      query.push([rng.pick(['unknown', '%00', 'a[b]', '__proto__']), rng.pick(HOSTILE_QUERY)]);
      break;
    case 'body value':
      [body, detail] = mutateValue(rng, body);
      detail = `body ${detail}`;
      break;
    case 'body bytes':
      [raw, detail] = badBytes(rng, jsonText(body));
      detail = `body ${detail}`;
      break;
    case 'body on a bodiless route':
      headers['content-type'] = 'application/json';
      raw = Buffer.from(jsonText(hostile(rng)[1]));
      break;
    case 'content type':
      headers['content-type'] = rng.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json; charset=latin1',
        '*/*',
        '',
      ]);
      detail = `content-type ${headers['content-type'] || '(empty)'}`;
      break;
    case 'page token': {
      const tokens = [
        pool.foreignPageToken,
        `${rng.pick(pool.pageTokens).slice(0, -4)}AAAA`,
        rng.pick(pool.pageTokens).split('').reverse().join(''),
        'x'.repeat(5000),
        '',
        '%00',
        'eyJ9',
      ];
      const t = rng.pick(tokens);
      for (let i = query.length - 1; i >= 0; i--) if (query[i][0] === 'page-token') query.splice(i, 1);
      query.push(['page-token', encodeURIComponent(t)]);
      detail = `page-token ${t === pool.foreignPageToken ? 'of another workspace' : JSON.stringify(t.slice(0, 16))}`;
      break;
    }
    case 'api version':
      headers['x-prefect-api-version'] = rng.pick(['', 'x', '0.0.1', '9.9.9', '1.2', '0.8.0.1']);
      break;
    case 'max body + 1':
      headers['content-type'] = 'application/json';
      raw = Buffer.alloc(ctx.maxBody + 1, 0x20);
      break;
    case 'gzip bomb':
      headers['content-type'] = 'application/json';
      headers['content-encoding'] = 'gzip';
      raw = gzipBomb();
      break;
  }
  const url =
    op.path.replace(/\{([^}]+)\}/g, (_m, n: string) => path[n] ?? 'x') +
    (query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '');
  const bytes = raw ?? (body === undefined ? undefined : Buffer.from(jsonText(body)));
  return {
    kind: 'http',
    surface: op.surface,
    label: op.label,
    mutation: detail,
    method: op.method,
    url,
    headers,
    body: bytes,
  };
}

// ---- MCP tools -----------------------------------------------------------------------------

let rpcId = 0;

function mcpCase(op: Extract<Operation, { surface: 'mcp' }>, ctx: CaseContext): Case {
  const { rng, pool } = ctx;
  let args: unknown = valid(op.inputSchema, 'arguments', { rng, pool, route: '' });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
  };
  const props = (op.inputSchema.properties ?? {}) as Record<string, Schema>;
  const bounded = Object.entries(props).filter(([, ps]) => atBounds(ps).length);
  const mutation = rng.weighted([
    ['none', 4],
    ['argument', 12],
    ['argument at a bound', bounded.length ? 5 : 0],
    ['id argument', 5],
    ['envelope', 3],
    ['bytes', 2],
  ] as const);
  let detail: string = mutation;
  let envelope: unknown = {
    jsonrpc: '2.0',
    id: ++rpcId,
    method: 'tools/call',
    params: { name: op.tool, arguments: args },
  };
  let raw: Buffer | undefined;
  switch (mutation) {
    case 'argument':
      [args, detail] = mutateValue(rng, args);
      detail = `arguments ${detail}`;
      (envelope as { params: { arguments: unknown } }).params.arguments = args;
      break;
    case 'argument at a bound': {
      const [name, schema] = rng.pick(bounded);
      const [label, v] = rng.pick(atBounds(schema));
      (args as Record<string, unknown>)[name] = v;
      detail = `argument ${name} at ${label}`;
      break;
    }
    case 'id argument': {
      const name = rng.pick(['account_id', 'workspace_id', 'id', 'trace_id', 'span_id', 'run_id', 'flow_run_id']);
      (args as Record<string, unknown>)[name] = rng.pick([
        '..',
        '.',
        '../..',
        '%2e%2e',
        'a/b',
        '',
        'not-a-uuid',
        '00000000-0000-0000-0000-000000000000',
      ]);
      detail = `argument ${name} = ${JSON.stringify((args as Record<string, unknown>)[name])}`;
      break;
    }
    case 'envelope': {
      const variants: [string, unknown][] = [
        ['unknown method', { jsonrpc: '2.0', id: 1, method: 'tools/nope', params: {} }],
        ['params not an object', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: 'x' }],
        ['no jsonrpc', { id: 1, method: 'tools/call', params: { name: op.tool, arguments: args } }],
        [
          'object id',
          { jsonrpc: '2.0', id: { a: 1 }, method: 'tools/call', params: { name: op.tool, arguments: args } },
        ],
        [
          'unknown tool',
          { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x'.repeat(10_000), arguments: {} } },
        ],
        [
          'batch of 200',
          Array.from({ length: 200 }, (_, i) => ({
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: op.tool, arguments: {} },
          })),
        ],
        ['notification', { jsonrpc: '2.0', method: 'tools/call', params: { name: op.tool, arguments: args } }],
      ];
      [detail, envelope] = rng.pick(variants);
      detail = `envelope ${detail}`;
      break;
    }
    case 'bytes':
      [raw, detail] = badBytes(rng, jsonText(envelope));
      detail = `bytes ${detail}`;
      break;
  }
  return { kind: 'mcp', label: op.label, mutation: detail, headers, body: raw ?? Buffer.from(jsonText(envelope)) };
}

// ---- websockets ----------------------------------------------------------------------------

function wsCase(op: Extract<Operation, { surface: 'ws' }>, ctx: CaseContext): Case {
  const { rng, pool } = ctx;
  const gen = (schema: Schema) => valid(schema, 'message', { rng, pool, route: '' });
  const url = op.path.replace('{account_id}', pool.accountId).replace('{workspace_id}', pool.workspaceId);
  const payloads: unknown[] =
    op.kind === 'events-in'
      ? Array.from({ length: 1 + rng.int(3) }, () => gen(ctx.ws.event))
      : [
          {
            type: 'filter',
            filter: gen(op.kind === 'events-out' ? ctx.ws.eventFilter : ctx.ws.logFilter),
            ...(op.kind === 'events-out' ? { backfill: rng.chance(0.5) } : {}),
          },
        ];
  let protocols = ['prefect'];
  let auth: unknown = { type: 'auth', token: null };
  const mutation = rng.weighted([
    ['none', 4],
    ['message value', 10],
    ['message bytes', 3],
    ['binary frame', 2],
    ['oversized frame', 1],
    ['no auth', 2],
    ['bad auth', 2],
    ['no subprotocol', 1],
    ['many bad frames', 1],
  ] as const);
  let detail: string = mutation;
  const frames: Frame[] = [];
  const text = (data: string | Buffer): Frame => ({ data, binary: false });
  switch (mutation) {
    case 'message value': {
      const i = rng.int(payloads.length);
      [payloads[i], detail] = mutateValue(rng, payloads[i]);
      detail = `message ${detail}`;
      break;
    }
    case 'no auth':
      auth = undefined;
      break;
    case 'bad auth':
      auth = rng.pick([
        { type: 'auth', token: { a: 1 } },
        { type: 'nope' },
        'auth',
        { type: 'auth', token: 'x'.repeat(100_000) },
        null,
      ]);
      break;
    case 'no subprotocol':
      protocols = [];
      auth = undefined;
      break;
  }
  if (auth !== undefined) frames.push(text(jsonText(auth)));
  for (const p of payloads) frames.push(text(jsonText(p)));
  if (mutation === 'message bytes')
    frames[frames.length - 1] = text(badBytes(rng, String(frames[frames.length - 1].data))[0]);
  if (mutation === 'binary frame') frames.push({ data: Buffer.from([0, 1, 2, 0xff, 0xfe]), binary: true });
  if (mutation === 'oversized frame')
    frames.push(text(`{"type":"filter","filter":{},"pad":"${'p'.repeat(2 * 1024 * 1024)}"}`));
  if (mutation === 'many bad frames') for (let i = 0; i < 15; i++) frames.push(text(`{"bad": ${i}}`));
  return { kind: 'ws', label: op.label, mutation: detail, url, protocols, frames };
}

export function buildCase(op: Operation, ctx: CaseContext): Case {
  if (op.surface === 'mcp') return mcpCase(op, ctx);
  if (op.surface === 'ws') return wsCase(op, ctx);
  return httpCase(op, ctx);
}

/** A short description of a case, for reproductions. */
export function describeCase(c: Case): string {
  const preview = (b: string | Buffer | undefined) => {
    if (b === undefined) return '(none)';
    const text = typeof b === 'string' ? b : b.toString('utf8');
    return `${JSON.stringify(text.slice(0, 400))}${text.length > 400 ? ` … (${text.length} chars)` : ''}`;
  };
  if (c.kind === 'http')
    return `${c.method} ${c.url.slice(0, 300)}\nheaders: ${JSON.stringify(c.headers)}\nbody: ${preview(c.body)}`;
  if (c.kind === 'mcp') return `POST /mcp\nbody: ${preview(c.body)}`;
  return `WS ${c.url} protocols=${JSON.stringify(c.protocols)}\nframes: ${c.frames.map((f) => `${f.binary ? 'binary ' : ''}${preview(f.data)}`).join('\n        ')}`;
}
