/**
 * Values for fuzz cases: a valid value for any JSON Schema of the API's documents (aimed at the
 * seeded data by the field's name), the hostile values the issue lists, and JSON text that can
 * carry what `JSON.stringify` cannot (2^63 as written, 10,000-deep nesting).
 */
import type { Rng } from './rng.ts';

export type Schema = Record<string, any>;

/** Ids and tokens of the data seeded before the run, which valid values point at. */
export interface Pool {
  accountId: string;
  workspaceId: string;
  flowId: string;
  flowRunId: string;
  taskRunId: string;
  artifactId: string;
  flowRunStateId: string;
  taskRunStateId: string;
  eventId: string;
  /** `page-token` values: this workspace's (Cloud and open-source spelling) and one of another workspace. */
  pageTokens: string[];
  foreignPageToken: string;
  /** Objects made to be deleted: DELETE cases aim at these, so that the seeded ones stay. */
  doomed: { flowId: string; flowRunId: string; taskRunId: string; artifactId: string };
}

/** JSON text placed as is where the value stands (numbers beyond a double, deep nesting). */
export class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** JSON text of a value that may contain `Raw` parts. */
export function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0001R${raws.length - 1}\u0001`;
    }
    return v;
  });
  if (text === undefined) return 'null';
  return raws.length ? text.replace(/"\\u0001R(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]) : text;
}

const WORDS = ['alpha', 'beta', 'etl', 'prefect.flow_runs', 'timeout', 'retry', 'x', 'Ünïcødé', '日本語', 'a b'];

const recent = (rng: Rng) => new Date(Date.now() - rng.int(3 * 86_400_000)).toISOString();

/** The id a path or field named `name` most likely wants, given the route it is on. */
function idFor(name: string, route: string, pool: Pool, rng: Rng): string | undefined {
  const n = name.replaceAll('-', '_');
  switch (n) {
    case 'account_id':
      return pool.accountId;
    case 'workspace_id':
      return pool.workspaceId;
    case 'flow_run_id':
    case 'trace_id':
    case 'run_id':
    case 'parent_flow_run_id':
      return pool.flowRunId;
    case 'task_run_id':
    case 'span_id':
    case 'parent_span_id':
      return pool.taskRunId;
    case 'flow_id':
      return pool.flowId;
    case 'id': {
      if (/flow_run_states\/\{id\}/.test(route)) return pool.flowRunStateId;
      if (/task_run_states\/\{id\}/.test(route)) return pool.taskRunStateId;
      if (/flow[_-]runs\/\{id\}/.test(route)) return pool.flowRunId;
      if (/task_runs\/\{id\}/.test(route)) return pool.taskRunId;
      if (/flows\/\{id\}/.test(route)) return pool.flowId;
      if (/artifacts\/\{id\}/.test(route)) return pool.artifactId;
      return rng.chance(0.5) ? pool.eventId : rng.uuid();
    }
  }
  return undefined;
}

export interface GenContext {
  rng: Rng;
  pool: Pool;
  /** The route's path template, for ids named `id`. */
  route: string;
  depth?: number;
}

/** A value `schema` accepts (as far as its JSON Schema says), aimed at the seeded data. */
export function valid(schema: Schema | undefined, name: string, ctx: GenContext): unknown {
  const { rng, pool } = ctx;
  const depth = ctx.depth ?? 0;
  const s = schema ?? {};
  const n = name.replaceAll('-', '_');
  if (n === 'page_token') return rng.pick(pool.pageTokens);
  if (n === 'resource' && (s.type === 'object' || s.additionalProperties))
    return { 'prefect.resource.id': `fuzz.resource.${rng.pick(WORDS)}` };
  if (n === 'related' && s.type === 'array') {
    return rng.chance(0.5)
      ? []
      : [{ 'prefect.resource.id': `prefect.flow-run.${pool.flowRunId}`, 'prefect.resource.role': 'flow-run' }];
  }
  if (n === 'event' && s.type === 'string') return `fuzz.${rng.pick(['event', 'flow-run.Completed', 'x'])}`;
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const options = ((s.anyOf ?? s.oneOf) as Schema[]).filter((o) => o.type !== 'null');
    return valid(options.length ? rng.pick(options) : {}, name, ctx);
  }
  if (Array.isArray(s.enum) && s.enum.length) return rng.pick(s.enum);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'string': {
      if (s.format === 'uuid') return idFor(n, ctx.route, pool, rng) ?? rng.uuid();
      if (s.format === 'date-time' || /^(since|until|before_|after_|occurred|timestamp)$/.test(n)) return recent(rng);
      const id = /(^|_)id$/.test(n) ? idFor(n, ctx.route, pool, rng) : undefined;
      if (id) return id;
      let w = rng.pick(WORDS);
      if (typeof s.minLength === 'number' && w.length < s.minLength) w = w.padEnd(s.minLength, 'x');
      if (typeof s.maxLength === 'number') w = w.slice(0, s.maxLength);
      return w;
    }
    case 'integer':
    case 'number': {
      if (n === 'level' || /level_(ge|le)/.test(n)) return rng.pick([10, 20, 30, 40]);
      const min = typeof s.minimum === 'number' ? s.minimum : 0;
      const max = typeof s.maximum === 'number' ? s.maximum : min + 5;
      const v = Math.min(max, min + rng.int(Math.max(1, Math.min(6, max - min + 1))));
      return type === 'number' && rng.chance(0.3) ? Math.min(max, v + 0.5) : v;
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'array': {
      const count = Math.max(s.minItems ?? 0, depth > 3 ? 0 : rng.int(3));
      return Array.from({ length: Math.min(count, s.maxItems ?? count) }, () =>
        valid(s.items, n, { ...ctx, depth: depth + 1 }),
      );
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set<string>(s.required ?? []);
      for (const [k, ps] of Object.entries(props)) {
        if (required.has(k) || (depth < 4 && rng.chance(0.4))) out[k] = valid(ps, k, { ...ctx, depth: depth + 1 });
      }
      if (
        s.additionalProperties &&
        typeof s.additionalProperties === 'object' &&
        !Object.keys(props).length &&
        rng.chance(0.5)
      ) {
        out[rng.pick(['key', 'prefect.resource.name', 'env'])] = valid(s.additionalProperties, 'value', {
          ...ctx,
          depth: depth + 1,
        });
      }
      return out;
    }
    default:
      return rng.pick([{}, { k: 'v' }, 'x', 1, [1, 'a']]);
  }
}

const MB = 'm'.repeat(1024 * 1024);
const DEEP = new Raw(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
const DEEP_OBJECT = new Raw(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);

/** Text that does not compress: what a database's index entries cannot hold beyond ~2.7 kB. */
function randomText(rng: Rng, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += String.fromCharCode(0x4e00 + rng.int(0x5000));
  return s;
}

/** The list of hostile values for any field: types, bounds, sizes, nesting, text, ids, dates. */
export const HOSTILE: readonly (readonly [string, (rng: Rng) => unknown])[] = [
  ['null', () => null],
  ['true', () => true],
  ['-1', () => -1],
  ['0', () => 0],
  ['1.5', () => 1.5],
  ['2^31', () => 2 ** 31],
  ['2^53', () => 2 ** 53],
  ['2^53+1', () => new Raw('9007199254740993')],
  ['2^63', () => new Raw('9223372036854775808')],
  ['1e308', () => 1e308],
  ['-1e308', () => -1e308],
  ['1e400', () => new Raw('1e400')],
  ['-0', () => new Raw('-0')],
  ['empty string', () => ''],
  ['numeric string', () => '20'],
  ['1 MB string', () => MB],
  ['1,500 random CJK characters', (rng) => randomText(rng, 1500)],
  ['list of 100 random 40-character strings', (rng) => Array.from({ length: 100 }, () => randomText(rng, 40))],
  ['10,000-deep array', () => DEEP],
  ['10,000-deep object', () => DEEP_OBJECT],
  ['empty object', () => ({})],
  ['empty array', () => []],
  ['array of 5,000 objects', () => Array.from({ length: 5000 }, () => ({}))],
  ['NUL', () => 'a\u0000b'],
  ['only NUL', () => '\u0000'],
  ['lone surrogate', () => 'x\ud800y'],
  ['lone low surrogate', () => '\udc00'],
  ['non-UUID', () => 'not-a-uuid'],
  ['dot-dot', () => '..'],
  ['nil UUID', () => '00000000-0000-0000-0000-000000000000'],
  ['year 1', () => '0001-01-01T00:00:00Z'],
  ['year 9999', () => '9999-12-31T23:59:59.999999Z'],
  ['year 2200', () => '2200-01-01T00:00:00Z'],
  ['year 1699', () => '1699-12-31T23:59:59Z'],
  ['expanded year', () => '+275760-09-13T00:00:00Z'],
  ['bad date', () => '2024-02-30T25:61:61Z'],
  ['bad enum', () => 'NOT_AN_ENUM_VALUE'],
  ['prototype keys', () => new Raw('{"__proto__":{"polluted":true},"constructor":{"prototype":1},"toString":1}')],
];

/** A hostile value, and what it is. */
export function hostile(rng: Rng): [string, unknown] {
  const [label, make] = rng.pick(HOSTILE);
  return [label, make(rng)];
}

/** Query-string spellings of hostile values (already URL-encoded). */
export const HOSTILE_QUERY: readonly string[] = [
  '',
  '-1',
  '0',
  '1e308',
  '-1e308',
  '9007199254740993',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  '1.5',
  'true',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%FF%FE',
  '%C3',
  `${'q'.repeat(8000)}`,
  '..',
  'not-a-uuid',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  'NOT_AN_ENUM_VALUE',
  '%5B%5D',
  '%7B%22a%22%3A1%7D',
];

/** Path-segment spellings of hostile ids (already URL-encoded where needed). */
export const HOSTILE_IDS: readonly string[] = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  `${'a'.repeat(600)}`,
  '%00',
  '%FF',
  '%ED%A0%80',
  '{00000000-0000-0000-0000-000000000000}',
  'urn:uuid:00000000-0000-0000-0000-000000000000',
];

/** Values at and just past a schema's declared bounds (numbers, lengths, item counts). */
export function atBounds(schema: Schema | undefined): [string, unknown][] {
  const s = schema ?? {};
  const out: [string, unknown][] = [];
  for (const [k, v] of [
    ['minimum', s.minimum],
    ['maximum', s.maximum],
  ] as const) {
    if (typeof v !== 'number') continue;
    out.push([`${k} (${v})`, v], [`${k} ${k === 'minimum' ? '- 1' : '+ 1'}`, k === 'minimum' ? v - 1 : v + 1]);
    if (s.type === 'number') out.push([`${k} ± 0.001`, k === 'minimum' ? v - 0.001 : v + 0.001]);
  }
  if (typeof s.maxLength === 'number')
    out.push([`maxLength (${s.maxLength})`, 'x'.repeat(s.maxLength)], ['maxLength + 1', 'x'.repeat(s.maxLength + 1)]);
  if (typeof s.minLength === 'number' && s.minLength > 0) out.push(['minLength - 1', 'x'.repeat(s.minLength - 1)]);
  if (typeof s.maxItems === 'number') out.push(['maxItems + 1', Array.from({ length: s.maxItems + 1 }, () => 'x')]);
  return out;
}
