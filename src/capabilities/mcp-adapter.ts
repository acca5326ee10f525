/**
 * The MCP side: one tool per `exposes: mcp` tool, served by the official SDK (stateless
 * Streamable HTTP, both protocol eras; or stdio). Each call maps its arguments through `with`,
 * calls the consumed operation and turns the answer into a tool result: JSON as text and as
 * `structuredContent`, cut to `--mcp-max-chars`; upstream 4xx/5xx, bad arguments and network
 * failures become `isError` results that say what went wrong; an unknown tool stays a JSON-RPC
 * error (the SDK's -32602).
 */
import {
  createMcpHandler,
  type McpHttpHandler,
  McpServer,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { AppError, echo } from '../domain/errors.ts';
import { shrink } from '../lib/json-shrink.ts';
import { registerAgentTools } from './agent-tools.ts';
import { type CallContext, callContext } from './call-context.ts';
import { type OutRequest, readAll, type Target } from './consumers.ts';
import { type Binding, inputNameFor, invoke } from './invoke.ts';
import type { McpToolDef, Paging } from './model.ts';
import { deriveToolSchema, type ToolSchema } from './tool-schema.ts';
import { type Cut, cutJson, cutText, nextArguments } from './truncate.ts';

export interface ToolEntry {
  tool: McpToolDef;
  binding: Binding;
}

/** Which tools an MCP server lists (`--mcp-tools`). */
export type McpToolSet = 'curated' | 'generated' | 'all';

export interface McpOptions {
  maxChars: number;
  version: string;
  instructions: string;
  /** Where the curated agent tools' routes are; none (a remote `--upstream`): no curated tools. */
  agent?: Target;
  tools?: McpToolSet;
  /** `--mcp-read-only`: no generated tool that writes or deletes. */
  readOnly?: boolean;
}

type Obj = Record<string, unknown>;
type ToolResult = { content: { type: 'text'; text: string }[]; structuredContent?: unknown; isError?: boolean };

const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** How much of an upstream error body a tool result repeats (Sightline's own are far smaller). */
const ERROR_ECHO_MAX = 16 * 1024;
const DEFAULTABLE = new Set(['account_id', 'workspace_id']);

/** The paging rule in terms of the tool's argument names. */
function toolPaging(entry: ToolEntry, schema: ToolSchema): Paging {
  const p = entry.tool.call.paging;
  const rename = (dotted: string) => {
    const [head, ...rest] = dotted.split('.');
    return [inputNameFor(entry.tool, head), ...rest].join('.');
  };
  if (p?.kind === 'offset' || p?.kind === 'limit') return { ...p, argument: rename(p.argument) };
  if (p?.kind === 'page') return { ...p, page: rename(p.page), limit: rename(p.limit) };
  if (p) return p;
  const props = (schema.json.properties ?? {}) as Obj;
  if ('offset' in props) return { kind: 'offset', argument: 'offset' };
  if ('limit' in props) return { kind: 'limit', argument: 'limit' };
  return { kind: 'none' };
}

/**
 * What the tool does: the file's description and the operation's notes. What every tool shares
 * (defaults of account and workspace, cut answers) is said once, in the server's instructions.
 */
function describe(entry: ToolEntry): string {
  const { tool } = entry;
  return [tool.description.replace(/\.?$/, '.'), ...(tool.call.notes ? [tool.call.notes] : [])].join(' ');
}

function standardSchema(schema: ToolSchema): StandardSchemaWithJSON<Obj, Obj> {
  return {
    '~standard': {
      version: 1,
      vendor: 'sightline',
      validate: (v: unknown) => schema.validate(v),
      jsonSchema: { input: () => schema.json, output: () => schema.json },
    },
  } as StandardSchemaWithJSON<Obj, Obj>;
}

const text = (t: string, extra: Partial<ToolResult> = {}): ToolResult => ({
  content: [{ type: 'text', text: t }],
  ...extra,
});

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

async function callTool(
  entry: ToolEntry,
  paging: Paging,
  args: Obj,
  maxChars: number,
  call: CallContext = {},
): Promise<ToolResult> {
  let response: Awaited<ReturnType<typeof invoke>>['response'];
  let request: Awaited<ReturnType<typeof invoke>>['request'];
  try {
    ({ request, response } = await invoke(entry.tool, entry.binding, (n) => args[n], call.signal));
  } catch (err) {
    if (err instanceof AppError)
      return text(`${entry.tool.name}: ${err.message}`, {
        isError: true,
        structuredContent: { error: err.code, message: err.message },
      });
    throw err;
  }
  const status = response.status;
  const type = response.headers['content-type'] ?? '';
  const where = `${request.method} ${request.path.split('?')[0]}`;
  if (status === 304) {
    response.body.resume();
    const etag = response.headers.etag;
    return text(`Not modified: nothing changed since ETag ${etag ?? '(given)'}.`, {
      structuredContent: { not_modified: true, etag: etag ?? null },
    });
  }
  if (status >= 400) {
    // An upstream's error may be anything: what the agent sees of it is bounded like every error.
    const body = await readAll(response.body, 1 << 20).catch(() => Buffer.alloc(0));
    const parsed = parseJson(body);
    const detail = echo(parsed.ok ? parsed.value : body.toString('utf8'), ERROR_ECHO_MAX);
    return text(
      `${entry.binding.target.label} answered HTTP ${status} to ${where}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`,
      {
        isError: true,
        structuredContent: { status, error: detail },
      },
    );
  }
  if (/json/i.test(type) || type === '') {
    const body = await readAll(response.body, MAX_JSON_BYTES);
    if (body.length === 0) return text(`Done (HTTP ${status}).`, { structuredContent: { status } });
    const parsed = parseJson(body);
    if (parsed.ok && entry.binding.target.local && isEmpty(parsed.value)) {
      const unknown = await unknownRun(entry, request);
      if (unknown) return text(JSON.stringify(unknown), { isError: true, structuredContent: unknown });
    }
    if (parsed.ok) {
      const cut = cutJson(parsed.value, maxChars, paging, args);
      if (cut.truncated && hasContinuation(parsed.value)) {
        const value = await continueExactly(entry, paging, args, cut, maxChars);
        return text(JSON.stringify(value), { structuredContent: value });
      }
      return text(cut.text, { structuredContent: cut.value });
    }
    return textBody(body.toString('utf8'), maxChars, paging);
  }
  // Text such as CSV (a download): read no more than fits, then cut at a line; progress as it comes.
  let collected = '';
  for await (const chunk of response.body) {
    collected += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    await call.progress?.(
      Math.min(collected.length, maxChars),
      `${Math.min(collected.length, maxChars)} of at most ${maxChars} characters read`,
    );
    if (collected.length > maxChars) {
      response.body.destroy();
      break;
    }
  }
  return textBody(collected, maxChars, paging);
}

/** An answer with nothing in it: `[]`, or an object whose lists are all empty. */
function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object' || v === null) return false;
  const lists = Object.values(v).filter(Array.isArray);
  return lists.length > 0 && lists.every((l) => l.length === 0);
}

const RUN_IN_PATH =
  /^(\/api(?:\/accounts\/[^/]+\/workspaces\/[^/]+)?)\/(?:flow_runs|traces)\/([0-9a-f-]{36})(?:\/|$|\?)/i;

/**
 * An empty answer about a flow run (its logs, events, loggers) may mean the id names no flow
 * run: the API answers `[]` for those as Prefect Cloud does. Then the agent gets an error it can
 * act on — the id is unknown, or is a task run's (with its flow run) — instead of "nothing".
 * Asked of the local API only: an upstream is not sent reads the call did not name.
 */
async function unknownRun(entry: ToolEntry, request: OutRequest): Promise<Obj | undefined> {
  const m = RUN_IN_PATH.exec(request.path);
  if (!m) return undefined;
  const [, root, id] = m;
  const { 'content-type': _type, ...headers } = request.headers;
  const get = async (path: string) => {
    try {
      const res = await entry.binding.target.send({
        method: 'GET',
        path,
        headers: { ...headers, accept: 'application/json' },
      });
      const body = await readAll(res.body, 1 << 20);
      const parsed = res.status === 200 ? parseJson(body) : undefined;
      return parsed?.ok ? (parsed.value as Obj) : res.status === 404 ? null : undefined;
    } catch {
      return undefined;
    }
  };
  const run = await get(`${root}/flow_runs/${id}`);
  if (run !== null) return undefined;
  const task = await get(`${root}/task_runs/${id}`);
  if (task) {
    const flowRun = typeof task.flow_run_id === 'string' ? task.flow_run_id : null;
    return {
      error: {
        code: 'not_found',
        message: `${id} is a task run ('${String(task.name)}')${flowRun ? ` of flow run ${flowRun}` : ''}, not a flow run`,
        hint: flowRun ? `call again with the flow run id ${flowRun}` : 'this task run belongs to no flow run',
        flow_run_id: flowRun,
      },
    };
  }
  if (task !== null) return undefined;
  return {
    error: {
      code: 'not_found',
      message: `no flow run ${id} in this workspace`,
      hint: 'call find-flow-runs to list runs with their ids',
    },
  };
}

const CONTINUATIONS = ['next_page', 'next_cursor'] as const;

/** An answer that continues by its own link or cursor (null on its last page, but still the way it pages). */
function hasContinuation(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && CONTINUATIONS.some((k) => k in (v as Obj));
}

/** The tool's answer to `args` as JSON, or undefined when it is not a JSON object. */
async function fetchPage(entry: ToolEntry, args: Obj): Promise<Obj | undefined> {
  try {
    const { response } = await invoke(entry.tool, entry.binding, (n) => args[n]);
    if (response.status >= 300) {
      response.body.resume();
      return undefined;
    }
    const parsed = parseJson(await readAll(response.body, MAX_JSON_BYTES));
    return parsed.ok && typeof parsed.value === 'object' && parsed.value !== null ? (parsed.value as Obj) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cut page's own `next_page`/`next_cursor` points past the items that were cut. Where the tool
 * takes a limit, the page is asked for again with as many items as fit (its continuation then
 * resumes at the first item not returned; a few tries, as the continuation itself takes room).
 * Otherwise the stale continuation is removed and the hint says how to continue exactly.
 */
async function continueExactly(entry: ToolEntry, paging: Paging, args: Obj, cut: Cut, maxChars: number): Promise<Obj> {
  const base = cut.value as Obj;
  let n = (base.returned as number) ?? 0;
  for (let attempt = 0; paging.kind === 'limit' && n > 0 && attempt < 3; attempt++) {
    const page = await fetchPage(entry, { ...args, ...nextArguments(paging, args, n) });
    const key = page && (paging.list ?? Object.keys(page).find((k) => Array.isArray(page[k])));
    const list = page && key ? page[key] : undefined;
    if (!page || !key || !Array.isArray(list) || list.length > n) break;
    const hint = 'continue with the next_page or next_cursor of this answer';
    const value: Obj = { ...page, truncated: true, returned: list.length, hint };
    // An item larger than the whole budget comes back shortened, as in the cut answer.
    if (list.length === 1 && JSON.stringify(value).length > maxChars)
      value[key] = [shrink(list[0], maxChars - JSON.stringify({ ...value, [key]: [] }).length)];
    const size = JSON.stringify(value).length;
    if (size <= maxChars) return value;
    const average = JSON.stringify(list).length / Math.max(1, list.length);
    n = Math.min(list.length - 1, list.length - Math.ceil((size - maxChars) / average));
  }
  const value: Obj = { ...base };
  for (const k of CONTINUATIONS) if (k in value) value[k] = null;
  value.hint = `the page was cut at ${base.returned} items; ask again with a limit of ${base.returned} to continue exactly`;
  delete value.next;
  return value;
}

function textBody(body: string, maxChars: number, paging: Paging): ToolResult {
  const hint = paging.kind === 'none' || paging.kind === 'limit' ? paging.hint : undefined;
  const cut = cutText(body, maxChars, hint);
  return text(
    cut.text,
    cut.truncated ? { structuredContent: { truncated: true, returned: cut.lines, ...(hint ? { hint } : {}) } } : {},
  );
}

/** A tool that changes nothing: declared read-only, or a GET. */
function readsOnly(entry: ToolEntry): boolean {
  return entry.tool.hints?.readOnly === true || entry.tool.call.method === 'GET';
}

/** A factory producing a fresh server with every tool, as the SDK's serving entries want. */
export function mcpServerFactory(entries: ToolEntry[], opts: McpOptions): () => McpServer {
  const set = opts.tools ?? 'all';
  const listed = set === 'curated' ? [] : opts.readOnly ? entries.filter(readsOnly) : entries;
  const prepared = listed.map((entry) => {
    const optional = new Set(entry.binding.defaultsApply ? [...DEFAULTABLE] : []);
    const schema = deriveToolSchema(entry.tool, optional);
    for (const name of optional) {
      const p = (schema.json.properties as Obj | undefined)?.[name] as Obj | undefined;
      if (p) p.description = `${p.description ?? `The ${name.slice(0, -3)} id`} (default: the configured one).`;
    }
    const hints = entry.tool.hints ?? {};
    const annotations = {
      ...(entry.tool.label ? { title: entry.tool.label } : {}),
      ...(hints.readOnly !== undefined ? { readOnlyHint: hints.readOnly } : {}),
      ...(hints.destructive !== undefined ? { destructiveHint: hints.destructive } : {}),
      ...(hints.idempotent !== undefined ? { idempotentHint: hints.idempotent } : {}),
      ...(hints.openWorld !== undefined
        ? { openWorldHint: hints.openWorld }
        : entry.binding.target.local
          ? { openWorldHint: false }
          : {}),
    };
    return {
      entry,
      schema,
      inputSchema: standardSchema(schema),
      paging: toolPaging(entry, schema),
      description: describe(entry),
      annotations,
    };
  });
  return () => {
    const agent = opts.agent && set !== 'generated' ? opts.agent : undefined;
    // The lists never change while a server runs: no list_changed notification will come.
    const server = new McpServer(
      { name: 'sightline', version: opts.version },
      {
        instructions: opts.instructions,
        capabilities: { tools: { listChanged: false }, ...(agent ? { prompts: { listChanged: false } } : {}) },
      },
    );
    if (agent) registerAgentTools(server, agent, opts.maxChars);
    for (const p of prepared) {
      server.registerTool(
        p.entry.tool.name,
        {
          ...(p.entry.tool.label ? { title: p.entry.tool.label } : {}),
          description: p.description,
          inputSchema: p.inputSchema,
          annotations: p.annotations,
        },
        (args: Obj, ctx: unknown) => callTool(p.entry, p.paging, args, opts.maxChars, callContext(ctx)) as never,
      );
    }
    return server;
  };
}

export function mcpHttpHandler(entries: ToolEntry[], opts: McpOptions): McpHttpHandler {
  return createMcpHandler(mcpServerFactory(entries, opts), { legacy: 'stateless' });
}
