/** The `binds` and `consumes` sections of a capability file: the APIs a capability calls and how it authenticates. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Checker, isObj } from './checker.ts';
import type {
  Authentication,
  ConsumedApi,
  ConsumedOperation,
  ConsumedParam,
  JsonSchema,
  ParamLocation,
} from './model.ts';
import type { Path } from './yaml-source.ts';

const TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'];
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const BASE_URI = /^https?:\/\/[^/]+(\/[^{]*)?$/;

export function buildBinds(
  c: Checker,
  raw: unknown,
  env: Record<string, string | undefined>,
): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [i, b] of (c.list(raw, ['binds'], "'binds'") ?? []).entries()) {
    const o = c.obj(b, ['binds', i], 'A bind');
    if (!o) continue;
    const keys = c.obj(o.keys, ['binds', i, 'keys'], "A bind's 'keys'");
    if (!keys) continue;
    let source: Record<string, unknown> = env;
    if (o.location !== undefined) {
      const loaded = readBindFile(c, String(o.location), ['binds', i, 'location']);
      if (!loaded) continue;
      source = loaded;
    }
    for (const [name, from] of Object.entries(keys)) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(name))
        c.src.warn(['binds', i, 'keys', name], `Bind variable '${name}' should be upper case (A-Z, 0-9, _).`);
      const v = source[String(from)];
      out.set(name, v === undefined || v === null || v === '' ? undefined : String(v));
    }
  }
  return out;
}

function readBindFile(c: Checker, location: string, path: Path): Record<string, unknown> | undefined {
  if (!location.startsWith('file://'))
    return c.error(path, `Bind location '${location}' is not supported (only file:// URIs).`);
  const file = location.startsWith('file:///./')
    ? resolve(dirname(c.src.file), location.slice('file:///./'.length))
    : fileURLToPath(location);
  try {
    const data = parseYaml(readFileSync(file, 'utf8'));
    if (isObj(data)) return data;
    return c.error(path, `Bind file ${file} must hold a flat map of keys to values.`);
  } catch (err) {
    return c.error(path, `Bind file ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
}

function buildAuth(c: Checker, raw: unknown, path: Path): Authentication | undefined {
  const o = c.obj(raw, path, "'authentication'");
  if (!o) return undefined;
  const s = (k: string) => c.str(o, k, path, `${String(o.type)} authentication`, true);
  switch (o.type) {
    case 'bearer': {
      const token = s('token');
      return token === undefined ? undefined : { type: 'bearer', token };
    }
    case 'apikey': {
      const key = s('key');
      const value = s('value');
      const placement = o.placement ?? 'header';
      if (placement !== 'header' && placement !== 'query')
        return c.error([...path, 'placement'], "'placement' must be header or query.");
      return key === undefined || value === undefined ? undefined : { type: 'apikey', key, value, placement };
    }
    case 'basic': {
      const username = s('username');
      const password = s('password');
      return username === undefined || password === undefined ? undefined : { type: 'basic', username, password };
    }
    default:
      return c.error(
        [...path, 'type'],
        `Authentication type '${String(o.type)}' is not supported upstream (bearer, apikey or basic).`,
      );
  }
}

export function buildConsumes(c: Checker, raw: unknown, path: Path): ConsumedApi | undefined {
  const o = c.obj(raw, path, 'A consumes entry');
  if (!o) return undefined;
  if (o.import !== undefined)
    return c.error([...path, 'import'], "Imported consumes blocks ('import') are not supported.");
  if (o.type !== 'http')
    return c.error([...path, 'type'], `Consumes type '${String(o.type)}' is not supported (only 'http').`);
  const namespace = c.str(o, 'namespace', path, 'A consumes entry', true);
  let baseUri = c.str(o, 'baseUri', path, 'A consumes entry', true);
  if (namespace === undefined || baseUri === undefined) return undefined;
  if (baseUri === '') {
    c.conventionOnce(
      'baseUri',
      [...path, 'baseUri'],
      "Empty 'baseUri' (generator convention): this API is the configured one — the local native API, or --upstream.",
    );
  } else {
    if (baseUri.endsWith('/')) {
      c.src.warn([...path, 'baseUri'], "'baseUri' ends with '/'; the slash is dropped.");
      baseUri = baseUri.replace(/\/+$/, '');
    }
    if (!BASE_URI.test(baseUri))
      return c.error([...path, 'baseUri'], `'baseUri' must be an http(s) URL without templates, got '${baseUri}'.`);
  }
  const authentication =
    o.authentication === undefined ? undefined : buildAuth(c, o.authentication, [...path, 'authentication']);
  const shared = buildParams(c, o.inputParameters, [...path, 'inputParameters']);
  const operations: ConsumedOperation[] = [];
  // Each operation's declaration, to tell a repeat of it (a generator's habit) from a conflict.
  const declared = new Map<ConsumedOperation, string>();
  for (const [res, rp] of c.mappings(o, 'resources', path, 'A consumed resource')) {
    const name = c.str(res, 'name', rp, 'A consumed resource', true);
    const resPath = c.str(res, 'path', rp, 'A consumed resource', true);
    if (name === undefined || resPath === undefined) continue;
    if (name.includes('_'))
      c.conventionOnce(
        'resource-name',
        [...rp, 'name'],
        `Consumed resource names contain '_' (generator convention, e.g. '${name}'); accepted.`,
      );
    if (!resPath.startsWith('/')) {
      c.error([...rp, 'path'], `A consumed resource path must start with '/', got '${resPath}'.`);
      continue;
    }
    if (resPath.includes('?')) {
      c.error([...rp, 'path'], 'A consumed resource path must not hold a query string; declare query parameters.');
      continue;
    }
    const resParams = buildParams(c, res.inputParameters, [...rp, 'inputParameters']) ?? [];
    for (const [oi, op] of (c.list(res.operations, [...rp, 'operations'], "'operations'") ?? []).entries()) {
      const built = buildOperation(c, op, [...rp, 'operations', oi], namespace, resPath, [
        ...(shared ?? []),
        ...resParams,
      ]);
      if (!built) continue;
      const declaration = `${resPath} ${JSON.stringify(op)}`;
      const first = operations.find((x) => x.name === built.name);
      if (first && declared.get(first) === declaration) {
        c.src.warn(
          [...rp, 'operations', oi, 'name'],
          `Operation '${built.name}' is declared twice in '${namespace}', identically (first on line ${first.where.line}); the repeat is dropped.`,
          { convention: true },
        );
        continue;
      }
      if (first)
        c.src.warn(
          [...rp, 'operations', oi, 'name'],
          `Operation '${built.name}' is declared twice in '${namespace}' (first on line ${first.where.line}); calls resolve to the first.`,
        );
      declared.set(built, declaration);
      operations.push(built);
    }
  }
  return {
    namespace,
    baseUri,
    description: typeof o.description === 'string' ? o.description : '',
    authentication,
    operations,
  };
}

function buildOperation(
  c: Checker,
  raw: unknown,
  path: Path,
  namespace: string,
  resPath: string,
  inherited: ConsumedParam[],
): ConsumedOperation | undefined {
  const o = c.obj(raw, path, 'A consumed operation');
  if (!o) return undefined;
  if (c.unsupported(o, ['body', 'outputSchema'], path, 'a consumed operation')) return undefined;
  const name = c.str(o, 'name', path, 'A consumed operation', true);
  if (name === undefined) return undefined;
  const method = String(o.method ?? 'GET').toUpperCase();
  if (!METHODS.includes(method))
    return c.error([...path, 'method'], `Method '${String(o.method)}' is not one of ${METHODS.join(', ')}.`);
  const outputRawFormat = String(o.outputRawFormat ?? 'json');
  const own = buildParams(c, o.inputParameters, [...path, 'inputParameters']) ?? [];
  const params = [...inherited.filter((p) => !own.some((q) => q.name === p.name)), ...own];
  // A path variable nobody declared is still a required string input.
  for (const m of resPath.matchAll(/\{\{?([^{}]+)\}?\}/g)) {
    if (!params.some((p) => p.in === 'path' && p.name === m[1]))
      params.push({ name: m[1], in: 'path', schema: { type: 'string' }, required: true });
  }
  for (const p of params) {
    if (p.in === 'path' && !resPath.includes(`{${p.name}}`))
      c.src.warn(
        [...path, 'inputParameters'],
        `Path parameter '${p.name}' of '${name}' does not appear in '${resPath}'.`,
      );
  }
  return {
    ref: `${namespace}.${name}`,
    name,
    method,
    path: resPath,
    description: typeof o.description === 'string' ? o.description : '',
    params,
    outputRawFormat,
    where: { file: c.src.file, line: c.src.lineOf(path) },
  };
}

function buildParams(c: Checker, raw: unknown, path: Path): ConsumedParam[] | undefined {
  const out: ConsumedParam[] = [];
  const list = c.list(raw, path, "'inputParameters'");
  if (!list) return undefined;
  list.forEach((p, i) => {
    const pp: Path = [...path, i];
    const o = c.obj(p, pp, 'An input parameter');
    if (!o) return;
    const name = c.str(o, 'name', pp, 'An input parameter', true);
    if (name === undefined) return;
    const where = o.in;
    if (where === 'environment' || where === 'cookie') {
      c.src.warn([...pp, 'in'], `Parameter '${name}' in '${where}' is ignored by Sightline's engine.`);
      return;
    }
    if (where !== 'path' && where !== 'query' && where !== 'header' && where !== 'body') {
      c.error(
        [...pp, 'in'],
        `Parameter '${name}' has an unsupported 'in': '${String(where)}' (path, query, header or body).`,
      );
      return;
    }
    if (o.type !== undefined || o.required !== undefined || o.description !== undefined)
      c.conventionOnce(
        'param-fields',
        pp,
        "Consumed parameters carry 'type', 'required' and 'description' (generator convention); they define the parameter.",
      );
    const type = String(o.type ?? (where === 'body' ? 'object' : 'string'));
    if (!TYPES.includes(type)) {
      c.error([...pp, 'type'], `Parameter '${name}' has an unknown type '${type}' (${TYPES.join(', ')}).`);
      return;
    }
    // A query or header array is repeated text; a body array holds any JSON (logs, events).
    const schema: JsonSchema = type === 'array' && where !== 'body' ? { type, items: { type: 'string' } } : { type };
    out.push({
      name,
      in: where as ParamLocation,
      schema,
      required: where === 'path' ? true : o.required === true,
      description: typeof o.description === 'string' ? o.description : undefined,
      value: o.value,
    });
  });
  return out;
}
