/** The `exposes` section of a capability file: its REST resources and MCP tools, bound to consumed operations. */
import { type Checker, isObj, type Obj } from './checker.ts';
import type {
  Binding,
  ConsumedApi,
  ConsumedOperation,
  McpAdapter,
  McpToolDef,
  RestAdapter,
  RestOperation,
  RestResource,
  ToolHints,
} from './model.ts';
import { METHODS } from './validate-consumes.ts';
import type { Path } from './yaml-source.ts';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function resolveCall(
  c: Checker,
  o: Obj,
  path: Path,
  consumes: ConsumedApi[],
  what: string,
): ConsumedOperation | undefined {
  if (c.unsupported(o, ['steps', 'mappings', 'ref', 'forward'], path, what)) return undefined;
  const call = c.str(o, 'call', path, what, true);
  if (call === undefined) return undefined;
  const dot = call.indexOf('.');
  const ns = call.slice(0, dot);
  const opName = call.slice(dot + 1);
  const api = consumes.find((a) => a.namespace === ns);
  if (dot < 1 || !api)
    return c.error(
      [...path, 'call'],
      `'call: ${call}' names no consumed namespace of this file (namespace.operation).`,
    );
  const op = api.operations.find((x) => x.name === opName);
  if (!op) return c.error([...path, 'call'], `'call: ${call}' names no operation of '${ns}'.`);
  return op;
}

/** `rest.x`, `tools.x` and `<exposeNamespace>.x` name an input; `{{…}}` is a template; anything else a literal. */
function buildWith(
  c: Checker,
  raw: unknown,
  path: Path,
  op: ConsumedOperation,
  prefixes: string[],
): [string, Binding][] | undefined {
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
      c.conventionOnce(
        'mapping',
        [...path, i],
        "Output '{type: object, mapping: $.}' without 'properties' (generator convention) passes the whole answer through.",
      );
      continue;
    }
    c.error([...path, i], "Only pass-through output ('mapping: $.') is supported; other output mappings are not.");
    return false;
  }
  return true;
}

export function buildRest(c: Checker, o: Obj, path: Path, consumes: ConsumedApi[]): RestAdapter | undefined {
  const namespace = c.str(o, 'namespace', path, 'A REST adapter', true);
  const port = c.port(o, path, 'A REST adapter');
  if (namespace === undefined || port === undefined) return undefined;
  if (c.unsupported(o, ['authentication'], path, 'a REST adapter')) return undefined;
  if (o.description !== undefined)
    c.conventionOnce(
      'rest-description',
      [...path, 'description'],
      "A REST adapter carries 'description' (generator convention); used as documentation.",
    );
  if (o.address !== undefined)
    c.src.warn([...path, 'address'], "'address' is ignored: every listener binds to --host.");
  const resources: RestResource[] = [];
  for (const [res, rp] of c.mappings(o, 'resources', path, 'A REST resource')) {
    const resPath = c.str(res, 'path', rp, 'A REST resource', true);
    if (resPath === undefined) continue;
    if (!resPath.startsWith('/') || resPath.includes('?')) {
      c.error([...rp, 'path'], `A REST resource path must start with '/' and hold no query, got '${resPath}'.`);
      continue;
    }
    if (c.unsupported(res, ['forward'], rp, 'a REST resource')) continue;
    const operations: RestOperation[] = [];
    // Each operation's declaration, to tell a repeat of it (a generator's habit) from a conflict.
    const declared = new Map<RestOperation, string>();
    for (const [oo, opPath] of c.mappings(res, 'operations', rp, 'A REST operation')) {
      const method = typeof oo.method === 'string' ? oo.method.toUpperCase() : '';
      if (!METHODS.includes(method)) {
        c.error([...opPath, 'method'], `A REST operation needs a 'method' (${METHODS.join(', ')}).`);
        continue;
      }
      const call = resolveCall(c, oo, opPath, consumes, 'a REST operation');
      if (!call) continue;
      const withs = buildWith(c, oo.with, [...opPath, 'with'], call, ['rest', namespace]);
      if (!withs || !checkOutput(c, oo.outputParameters, [...opPath, 'outputParameters'])) continue;
      const name = typeof oo.name === 'string' ? oo.name : call.name;
      const first = operations.find((x) => x.method === method);
      if (first && declared.get(first) === JSON.stringify(oo)) {
        c.src.warn(
          opPath,
          `${method} ${resPath} is declared twice, identically (first on line ${first.where.line}); the repeat is dropped.`,
          { convention: true },
        );
        continue;
      }
      if (first)
        c.src.warn(
          opPath,
          `${method} ${resPath} is declared twice (first on line ${first.where.line}); the first answers.`,
        );
      const description = typeof oo.description === 'string' ? oo.description : call.description;
      const operation = {
        method,
        name,
        description,
        call,
        with: withs,
        where: { file: c.src.file, line: c.src.lineOf(opPath) },
      };
      declared.set(operation, JSON.stringify(oo));
      operations.push(operation);
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

export function buildMcp(c: Checker, o: Obj, path: Path, consumes: ConsumedApi[]): McpAdapter | undefined {
  const namespace = c.str(o, 'namespace', path, 'An MCP adapter', true);
  if (namespace === undefined) return undefined;
  if (c.unsupported(o, ['resources', 'prompts', 'authentication'], path, 'an MCP adapter')) return undefined;
  const transport = o.transport ?? 'http';
  if (transport !== 'http' && transport !== 'stdio')
    return c.error([...path, 'transport'], "'transport' must be http or stdio.");
  let port = 0;
  if (transport === 'http') {
    const p = c.port(o, path, 'An MCP adapter with http transport');
    if (p === undefined) return undefined;
    port = p;
  }
  if (o.address !== undefined)
    c.src.warn([...path, 'address'], "'address' is ignored: every listener binds to --host.");
  const tools: McpToolDef[] = [];
  for (const [to, tp] of c.mappings(o, 'tools', path, 'A tool')) {
    const name = c.str(to, 'name', tp, 'A tool', true);
    if (name === undefined) continue;
    if (!TOOL_NAME.test(name)) {
      c.error([...tp, 'name'], `Tool name '${name}' must be 1-128 characters from A-Z a-z 0-9 _ . -.`);
      continue;
    }
    if (tools.some((x) => x.name === name)) {
      c.error([...tp, 'name'], `Tool '${name}' is declared twice.`);
      continue;
    }
    if (to.inputParameters !== undefined)
      c.src.warn(
        [...tp, 'inputParameters'],
        "A tool's 'inputParameters' are ignored: its schema comes from 'with' and the consumed parameters.",
      );
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
