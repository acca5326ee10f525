/**
 * Turns one parsed capability file into the engine's model, reporting each problem on its line.
 * Lenient where the seed generator deviates from the Naftiko schema in known ways (a warning,
 * once per file and kind); strict about whatever the engine could not execute (an error).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type {
  Authentication,
  Binding,
  Capability,
  ConsumedApi,
  ConsumedOperation,
  ConsumedParam,
  JsonSchema,
  McpAdapter,
  McpToolDef,
  ParamLocation,
  RestAdapter,
  RestOperation,
  RestResource,
  ToolHints,
} from './model.ts';
import type { Path, Source } from './yaml-source.ts';

const SUPPORTED_VERSION = '1.0.0-alpha2';
const TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const BASE_URI = /^https?:\/\/[^/]+(\/[^{]*)?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Per-file state: problems go to the source; some warnings are reported once per kind. */
class Checker {
  readonly src: Source;
  private readonly warned = new Set<string>();

  constructor(src: Source) {
    this.src = src;
  }

  error(path: Path, msg: string): undefined {
    this.src.error(path, msg);
    return undefined;
  }

  warnOnce(kind: string, path: Path, msg: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.src.warn(path, msg);
  }

  obj(v: unknown, path: Path, what: string): Obj | undefined {
    if (isObj(v)) return v;
    return this.error(path, `${what} must be a mapping.`);
  }

  list(v: unknown, path: Path, what: string): unknown[] | undefined {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    return this.error(path, `${what} must be a list.`);
  }

  str(o: Obj, key: string, path: Path, what: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return required ? this.error(path, `${what} needs a '${key}'.`) : undefined;
    if (typeof v !== 'string') return this.error([...path, key], `'${key}' of ${what} must be a string.`);
    return v;
  }

  unsupported(o: Obj, keys: string[], path: Path, what: string): boolean {
    let bad = false;
    for (const k of keys) {
      if (o[k] === undefined) continue;
      this.error([...path, k], `'${k}' in ${what} is not supported by Sightline's engine (see docs/capabilities.md).`);
      bad = true;
    }
    return bad;
  }

  port(o: Obj, path: Path, what: string): number | undefined {
    const p = o.port;
    if (p === undefined) return this.error(path, `${what} needs a 'port'.`);
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535)
      return this.error([...path, 'port'], `'port' of ${what} must be an integer from 0 to 65535.`);
    return p;
  }
}

export function buildCapability(src: Source, env: Record<string, string | undefined>): Capability | undefined {
  const c = new Checker(src);
  const root = c.obj(src.data, [], 'A capability file');
  if (!root) return undefined;
  const version = root.naftiko ?? root.ikanos;
  if (version === undefined) return c.error([], "Not a capability file: the 'naftiko' version key is missing.");
  if (root.naftiko === undefined) src.warn(['ikanos'], `The 'ikanos' root key is read as 'naftiko' ${SUPPORTED_VERSION}.`);
  else if (String(version) !== SUPPORTED_VERSION)
    src.warn(['naftiko'], `Version '${String(version)}' is read as ${SUPPORTED_VERSION}, the dialect Sightline implements.`);

  const info = isObj(root.info) ? root.info : {};
  const binds = buildBinds(c, root.binds, env);
  const cap = c.obj(root.capability, ['capability'], "'capability'");
  if (!cap) return undefined;
  c.unsupported(cap, ['aggregates', 'binds'], ['capability'], "'capability'");

  const consumes: ConsumedApi[] = [];
  for (const [i, raw] of (c.list(cap.consumes, ['capability', 'consumes'], "'consumes'") ?? []).entries()) {
    const api = buildConsumes(c, raw, ['capability', 'consumes', i]);
    if (!api) continue;
    if (consumes.some((x) => x.namespace === api.namespace))
      c.error(['capability', 'consumes', i, 'namespace'], `Namespace '${api.namespace}' is declared twice.`);
    else consumes.push(api);
  }
  if (!consumes.length && !src.problems.some((p) => p.severity === 'error'))
    c.error(['capability'], "The capability consumes nothing: 'consumes' needs at least one http API.");

  const rest: RestAdapter[] = [];
  const mcp: McpAdapter[] = [];
  for (const [i, raw] of (c.list(cap.exposes, ['capability', 'exposes'], "'exposes'") ?? []).entries()) {
    const path: Path = ['capability', 'exposes', i];
    const o = c.obj(raw, path, 'An exposes entry');
    if (!o) continue;
    if (o.type === 'rest') {
      const a = buildRest(c, o, path, consumes);
      if (a) rest.push(a);
    } else if (o.type === 'mcp') {
      const a = buildMcp(c, o, path, consumes);
      if (a) mcp.push(a);
    } else c.error([...path, 'type'], `Exposes type '${String(o.type)}' is not supported (Sightline serves 'rest' and 'mcp').`);
  }
  const label = typeof info.label === 'string' ? info.label : src.file;
  return { file: src.file, label, description: typeof info.description === 'string' ? info.description : '', binds, consumes, rest, mcp };
}

function buildBinds(c: Checker, raw: unknown, env: Record<string, string | undefined>): Map<string, string | undefined> {
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
      if (!/^[A-Z][A-Z0-9_]*$/.test(name)) c.src.warn(['binds', i, 'keys', name], `Bind variable '${name}' should be upper case (A-Z, 0-9, _).`);
      const v = source[String(from)];
      out.set(name, v === undefined || v === null || v === '' ? undefined : String(v));
    }
  }
  return out;
}

function readBindFile(c: Checker, location: string, path: Path): Record<string, unknown> | undefined {
  if (!location.startsWith('file://')) return c.error(path, `Bind location '${location}' is not supported (only file:// URIs).`);
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
      if (placement !== 'header' && placement !== 'query') return c.error([...path, 'placement'], "'placement' must be header or query.");
      return key === undefined || value === undefined ? undefined : { type: 'apikey', key, value, placement };
    }
    case 'basic': {
      const username = s('username');
      const password = s('password');
      return username === undefined || password === undefined ? undefined : { type: 'basic', username, password };
    }
    default:
      return c.error([...path, 'type'], `Authentication type '${String(o.type)}' is not supported upstream (bearer, apikey or basic).`);
  }
}

function buildConsumes(c: Checker, raw: unknown, path: Path): ConsumedApi | undefined {
  const o = c.obj(raw, path, 'A consumes entry');
  if (!o) return undefined;
  if (o.import !== undefined) return c.error([...path, 'import'], "Imported consumes blocks ('import') are not supported.");
  if (o.type !== 'http') return c.error([...path, 'type'], `Consumes type '${String(o.type)}' is not supported (only 'http').`);
  const namespace = c.str(o, 'namespace', path, 'A consumes entry', true);
  let baseUri = c.str(o, 'baseUri', path, 'A consumes entry', true);
  if (namespace === undefined || baseUri === undefined) return undefined;
  if (baseUri === '') {
    c.warnOnce('baseUri', [...path, 'baseUri'], "Empty 'baseUri' (generator convention): this API is the configured one — the local native API, or --upstream.");
  } else {
    if (baseUri.endsWith('/')) {
      c.src.warn([...path, 'baseUri'], "'baseUri' ends with '/'; the slash is dropped.");
      baseUri = baseUri.replace(/\/+$/, '');
    }
    if (!BASE_URI.test(baseUri)) return c.error([...path, 'baseUri'], `'baseUri' must be an http(s) URL without templates, got '${baseUri}'.`);
  }
  const authentication = o.authentication === undefined ? undefined : buildAuth(c, o.authentication, [...path, 'authentication']);
  const shared = buildParams(c, o.inputParameters, [...path, 'inputParameters']);
  const operations: ConsumedOperation[] = [];
  for (const [ri, r] of (c.list(o.resources, [...path, 'resources'], "'resources'") ?? []).entries()) {
    const rp: Path = [...path, 'resources', ri];
    const res = c.obj(r, rp, 'A consumed resource');
    if (!res) continue;
    const name = c.str(res, 'name', rp, 'A consumed resource', true);
    const resPath = c.str(res, 'path', rp, 'A consumed resource', true);
    if (name === undefined || resPath === undefined) continue;
    if (name.includes('_')) c.warnOnce('resource-name', [...rp, 'name'], `Consumed resource names contain '_' (generator convention, e.g. '${name}'); accepted.`);
    if (!resPath.startsWith('/')) { c.error([...rp, 'path'], `A consumed resource path must start with '/', got '${resPath}'.`); continue; }
    if (resPath.includes('?')) {
      c.error([...rp, 'path'], 'A consumed resource path must not hold a query string; declare query parameters.');
      continue;
    }
    const resParams = buildParams(c, res.inputParameters, [...rp, 'inputParameters']) ?? [];
    for (const [oi, op] of (c.list(res.operations, [...rp, 'operations'], "'operations'") ?? []).entries()) {
      const built = buildOperation(c, op, [...rp, 'operations', oi], namespace, resPath, [...(shared ?? []), ...resParams]);
      if (!built) continue;
      const first = operations.find((x) => x.name === built.name);
      if (first)
        c.src.warn([...rp, 'operations', oi, 'name'], `Operation '${built.name}' is declared twice in '${namespace}' (first on line ${first.where.line}); calls resolve to the first.`);
      operations.push(built);
    }
  }
  return { namespace, baseUri, description: typeof o.description === 'string' ? o.description : '', authentication, operations };
}

function buildOperation(c: Checker, raw: unknown, path: Path, namespace: string, resPath: string, inherited: ConsumedParam[]): ConsumedOperation | undefined {
  const o = c.obj(raw, path, 'A consumed operation');
  if (!o) return undefined;
  if (c.unsupported(o, ['body', 'outputSchema'], path, 'a consumed operation')) return undefined;
  const name = c.str(o, 'name', path, 'A consumed operation', true);
  if (name === undefined) return undefined;
  const method = String(o.method ?? 'GET').toUpperCase();
  if (!METHODS.includes(method)) return c.error([...path, 'method'], `Method '${String(o.method)}' is not one of ${METHODS.join(', ')}.`);
  const outputRawFormat = String(o.outputRawFormat ?? 'json');
  const own = buildParams(c, o.inputParameters, [...path, 'inputParameters']) ?? [];
  const params = [...inherited.filter((p) => !own.some((q) => q.name === p.name)), ...own];
  // A path variable nobody declared is still a required string input.
  for (const m of resPath.matchAll(/\{\{?([^{}]+)\}?\}/g)) {
    if (!params.some((p) => p.in === 'path' && p.name === m[1])) params.push({ name: m[1], in: 'path', schema: { type: 'string' }, required: true });
  }
  for (const p of params) {
    if (p.in === 'path' && !resPath.includes(`{${p.name}}`))
      c.src.warn([...path, 'inputParameters'], `Path parameter '${p.name}' of '${name}' does not appear in '${resPath}'.`);
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
      c.error([...pp, 'in'], `Parameter '${name}' has an unsupported 'in': '${String(where)}' (path, query, header or body).`);
      return;
    }
    if (o.type !== undefined || o.required !== undefined || o.description !== undefined)
      c.warnOnce('param-fields', pp, "Consumed parameters carry 'type', 'required' and 'description' (generator convention); they define the parameter.");
    const type = String(o.type ?? (where === 'body' ? 'object' : 'string'));
    if (!TYPES.includes(type)) {
      c.error([...pp, 'type'], `Parameter '${name}' has an unknown type '${type}' (${TYPES.join(', ')}).`);
      return;
    }
    const schema: JsonSchema = type === 'array' ? { type, items: { type: 'string' } } : { type };
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

function resolveCall(c: Checker, o: Obj, path: Path, consumes: ConsumedApi[], what: string): ConsumedOperation | undefined {
  if (c.unsupported(o, ['steps', 'mappings', 'ref', 'forward'], path, what)) return undefined;
  const call = c.str(o, 'call', path, what, true);
  if (call === undefined) return undefined;
  const dot = call.indexOf('.');
  const ns = call.slice(0, dot);
  const opName = call.slice(dot + 1);
  const api = consumes.find((a) => a.namespace === ns);
  if (dot < 1 || !api) return c.error([...path, 'call'], `'call: ${call}' names no consumed namespace of this file (namespace.operation).`);
  const op = api.operations.find((x) => x.name === opName);
  if (!op) return c.error([...path, 'call'], `'call: ${call}' names no operation of '${ns}'.`);
  return op;
}

/** `rest.x`, `tools.x` and `<exposeNamespace>.x` name an input; `{{…}}` is a template; anything else a literal. */
function buildWith(c: Checker, raw: unknown, path: Path, op: ConsumedOperation, prefixes: string[]): [string, Binding][] | undefined {
  if (raw === undefined || raw === null) return [];
  const o = c.obj(raw, path, "'with'");
  if (!o) return undefined;
  const out: [string, Binding][] = [];
  for (const [key, v] of Object.entries(o)) {
    if (!op.params.some((p) => p.name === key)) {
      c.error([...path, key], `'with' key '${key}' names no parameter of operation '${op.name}'.`);
      continue;
    }
    if (typeof v === 'string') {
      const prefix = prefixes.find((p) => v.startsWith(`${p}.`) && v.length > p.length + 1);
      if (prefix) out.push([key, { kind: 'input', name: v.slice(prefix.length + 1) }]);
      else if (v.includes('{{')) out.push([key, { kind: 'template', text: v }]);
      else out.push([key, { kind: 'literal', value: v }]);
    } else out.push([key, { kind: 'literal', value: v }]);
  }
  return out;
}

function checkOutput(c: Checker, raw: unknown, path: Path): boolean {
  const list = c.list(raw, path, "'outputParameters'");
  if (!list) return false;
  for (let i = 0; i < list.length; i++) {
    const o = list[i];
    const mapping = isObj(o) ? o.mapping : undefined;
    if (isObj(o) && (mapping === '$.' || mapping === '$') && o.properties === undefined && o.value === undefined) {
      c.warnOnce('mapping', [...path, i], "Output '{type: object, mapping: $.}' without 'properties' (generator convention) passes the whole answer through.");
      continue;
    }
    c.error([...path, i], "Only pass-through output ('mapping: $.') is supported; other output mappings are not.");
    return false;
  }
  return true;
}

function buildRest(c: Checker, o: Obj, path: Path, consumes: ConsumedApi[]): RestAdapter | undefined {
  const namespace = c.str(o, 'namespace', path, 'A REST adapter', true);
  const port = c.port(o, path, 'A REST adapter');
  if (namespace === undefined || port === undefined) return undefined;
  if (c.unsupported(o, ['authentication'], path, 'a REST adapter')) return undefined;
  if (o.description !== undefined) c.warnOnce('rest-description', [...path, 'description'], "A REST adapter carries 'description' (generator convention); used as documentation.");
  if (o.address !== undefined) c.src.warn([...path, 'address'], "'address' is ignored: every listener binds to --host.");
  const resources: RestResource[] = [];
  for (const [ri, r] of (c.list(o.resources, [...path, 'resources'], "'resources'") ?? []).entries()) {
    const rp: Path = [...path, 'resources', ri];
    const res = c.obj(r, rp, 'A REST resource');
    if (!res) continue;
    const resPath = c.str(res, 'path', rp, 'A REST resource', true);
    if (resPath === undefined) continue;
    if (!resPath.startsWith('/') || resPath.includes('?'))
      { c.error([...rp, 'path'], `A REST resource path must start with '/' and hold no query, got '${resPath}'.`); continue; }
    if (c.unsupported(res, ['forward'], rp, 'a REST resource')) continue;
    const operations: RestOperation[] = [];
    for (const [oi, op] of (c.list(res.operations, [...rp, 'operations'], "'operations'") ?? []).entries()) {
      const opPath: Path = [...rp, 'operations', oi];
      const oo = c.obj(op, opPath, 'A REST operation');
      if (!oo) continue;
      const method = typeof oo.method === 'string' ? oo.method.toUpperCase() : '';
      if (!METHODS.includes(method)) { c.error([...opPath, 'method'], `A REST operation needs a 'method' (${METHODS.join(', ')}).`); continue; }
      const call = resolveCall(c, oo, opPath, consumes, 'a REST operation');
      if (!call) continue;
      const withs = buildWith(c, oo.with, [...opPath, 'with'], call, ['rest', namespace]);
      if (!withs || !checkOutput(c, oo.outputParameters, [...opPath, 'outputParameters'])) continue;
      const name = typeof oo.name === 'string' ? oo.name : call.name;
      const first = operations.find((x) => x.method === method);
      if (first)
        c.src.warn(opPath, `${method} ${resPath} is declared twice (first on line ${first.where.line}); the first answers.`);
      const description = typeof oo.description === 'string' ? oo.description : call.description;
      operations.push({ method, name, description, call, with: withs, where: { file: c.src.file, line: c.src.lineOf(opPath) } });
    }
    resources.push({
      path: resPath,
      name: typeof res.name === 'string' ? res.name : resPath,
      description: typeof res.description === 'string' ? res.description : '',
      operations,
      where: { file: c.src.file, line: c.src.lineOf(rp) },
    });
  }
  return { namespace, port, description: typeof o.description === 'string' ? o.description : '', resources };
}

function buildHints(c: Checker, raw: unknown, path: Path): ToolHints | undefined {
  if (raw === undefined) return undefined;
  const o = c.obj(raw, path, "'hints'");
  if (!o) return undefined;
  const out: ToolHints = {};
  for (const k of ['readOnly', 'destructive', 'idempotent', 'openWorld'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') c.error([...path, k], `Hint '${k}' must be true or false.`);
    else out[k] = v;
  }
  return out;
}

function buildMcp(c: Checker, o: Obj, path: Path, consumes: ConsumedApi[]): McpAdapter | undefined {
  const namespace = c.str(o, 'namespace', path, 'An MCP adapter', true);
  if (namespace === undefined) return undefined;
  if (c.unsupported(o, ['resources', 'prompts', 'authentication'], path, 'an MCP adapter')) return undefined;
  const transport = o.transport ?? 'http';
  if (transport !== 'http' && transport !== 'stdio') return c.error([...path, 'transport'], "'transport' must be http or stdio.");
  let port = 0;
  if (transport === 'http') {
    const p = c.port(o, path, 'An MCP adapter with http transport');
    if (p === undefined) return undefined;
    port = p;
  }
  if (o.address !== undefined) c.src.warn([...path, 'address'], "'address' is ignored: every listener binds to --host.");
  const tools: McpToolDef[] = [];
  for (const [ti, t] of (c.list(o.tools, [...path, 'tools'], "'tools'") ?? []).entries()) {
    const tp: Path = [...path, 'tools', ti];
    const to = c.obj(t, tp, 'A tool');
    if (!to) continue;
    const name = c.str(to, 'name', tp, 'A tool', true);
    if (name === undefined) continue;
    if (!TOOL_NAME.test(name)) { c.error([...tp, 'name'], `Tool name '${name}' must be 1-128 characters from A-Z a-z 0-9 _ . -.`); continue; }
    if (tools.some((x) => x.name === name)) { c.error([...tp, 'name'], `Tool '${name}' is declared twice.`); continue; }
    if (to.inputParameters !== undefined) c.src.warn([...tp, 'inputParameters'], "A tool's 'inputParameters' are ignored: its schema comes from 'with' and the consumed parameters.");
    const call = resolveCall(c, to, tp, consumes, 'a tool');
    if (!call) continue;
    const withs = buildWith(c, to.with, [...tp, 'with'], call, ['tools', namespace]);
    if (!withs || !checkOutput(c, to.outputParameters, [...tp, 'outputParameters'])) continue;
    tools.push({
      name,
      label: typeof to.label === 'string' ? to.label : undefined,
      description: typeof to.description === 'string' ? to.description : call.description,
      hints: buildHints(c, to.hints, [...tp, 'hints']),
      call,
      with: withs,
      where: { file: c.src.file, line: c.src.lineOf(tp) },
    });
  }
  if (!tools.length) c.src.warn([...path, 'tools'], `MCP adapter '${namespace}' declares no tools.`);
  return { namespace, port, transport, description: typeof o.description === 'string' ? o.description : '', tools };
}
