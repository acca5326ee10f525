/**
 * What the fuzzer exercises, read from the API's own descriptions: every operation of
 * `/api/openapi.json` (both path families) and `/v1/openapi.json`, every MCP tool's `inputSchema`
 * (`tools/list`), and the websocket routes on both path families. `undocumentedRoutes` compares
 * what the apps serve with the documents: a served route in neither fails the run.
 */

import { wsRoutes } from '../../src/api/routes/index.ts';
import { servedRoutes } from '../../src/api/served-routes.ts';
import { buildRestApp } from '../../src/capabilities/rest-adapter.ts';
import type { TestServer } from '../helpers/server.ts';
import type { Schema } from './values.ts';

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export type Operation =
  | { surface: 'api' | 'rest'; label: string; method: string; path: string; params: Param[]; body?: Schema }
  | { surface: 'mcp'; label: string; tool: string; inputSchema: Schema }
  | { surface: 'ws'; label: string; path: string; kind: 'events-in' | 'events-out' | 'logs-out' };

type Doc = {
  paths: Record<
    string,
    Record<string, { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
};

function fromDocument(doc: Doc, surface: 'api' | 'rest'): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({ surface, label: `${surface} ${method} ${path}`, method, path, params: op.parameters ?? [], body });
    }
  }
  return ops;
}

/** Reads an MCP answer (JSON, or one server-sent `data:` line). */
export function mcpMessage(text: string): any {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) return JSON.parse(t);
  const data = t
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim());
  if (data.length !== 1) throw new Error(`expected one data line, got ${data.length}`);
  return JSON.parse(data[0]);
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

export async function discover(urls: { api: string; rest: string; mcp: string }): Promise<Operation[]> {
  const api = (await (await fetch(`${urls.api}/openapi.json`)).json()) as Doc;
  const rest = (await (await fetch(`${urls.rest}/openapi.json`)).json()) as Doc;
  const list = await fetch(urls.mcp, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  const tools = mcpMessage(await list.text()).result.tools as { name: string; inputSchema: Schema }[];
  const ops: Operation[] = [...fromDocument(api, 'api'), ...fromDocument(rest, 'rest')];
  for (const t of tools) ops.push({ surface: 'mcp', label: `mcp ${t.name}`, tool: t.name, inputSchema: t.inputSchema });
  for (const r of wsRoutes) {
    const kind = r.path === '/events/in' ? 'events-in' : r.path === '/events/out' ? 'events-out' : 'logs-out';
    ops.push({ surface: 'ws', label: `ws ${r.path}`, path: `/api${r.path}`, kind });
    ops.push({
      surface: 'ws',
      label: `ws cloud ${r.path}`,
      path: `/api/accounts/{account_id}/workspaces/{workspace_id}${r.path}`,
      kind,
    });
  }
  return ops;
}

const asFastify = (openapiPath: string) => openapiPath.replace(/\{([^}]+)\}/g, (_m, n: string) => `:${n}`);

/**
 * Routes an in-process server serves that neither document lists, as `METHOD /path`. The REST
 * gateway's parameters are positional (`:p0`), so its paths are compared with names erased.
 */
export async function undocumentedRoutes(s: TestServer): Promise<string[]> {
  const apiDoc = (await s.app.api.inject({ method: 'GET', url: '/api/openapi.json' })).json() as Doc;
  const entries = [...s.app.capabilities!.bound.rest.values()].flat();
  // The listener options of the running server (whatever they are), for an app that never listens.
  const opts = { bodyLimit: s.config['max-body'], http: s.config, title: 'fuzz', version: '0' };
  const restApp = await buildRestApp(entries, opts);
  const restDoc = (await restApp.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as Doc;
  const erase = (p: string) => p.replace(/:[^/]+/g, ':_');
  const documented = new Set<string>();
  for (const doc of [apiDoc, restDoc])
    for (const [path, methods] of Object.entries(doc.paths))
      for (const m of Object.keys(methods)) documented.add(`${m.toUpperCase()} ${erase(asFastify(path))}`);
  const served = [...servedRoutes(s.app.api), ...servedRoutes(restApp)];
  await restApp.close();
  return served
    .map((r) => `${r.method} ${r.url}`)
    .filter((k) => !documented.has(k.replace(/^(\S+) (.*)$/, (_m, m: string, p: string) => `${m} ${erase(p)}`)));
}
