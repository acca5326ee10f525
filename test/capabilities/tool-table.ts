/**
 * The 28 seed tools, each with the arguments the tests call it with and the native Cloud-path
 * request that must give the same answer. A row marked `pending` names the branch whose native
 * route it waits for: until then its tool must answer exactly what the native API answers (the
 * native 404, as an isError result). Switch a row on by deleting its `pending` once the route
 * has landed: it must then also answer 2xx.
 */
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../helpers/server.ts';

export interface NativeRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Cloud-family path after `/api/accounts/{a}` (account scope) or `/api/accounts/{a}/workspaces/{w}`. */
  path: string;
  scope?: 'account' | 'workspace';
  query?: [string, string][];
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Seeded {
  flowRunId: string;
  otherRunId: string;
  pageToken: string;
  /** A page token of an account-scope query (workspace tokens are refused at account scope). */
  accountPageToken: string;
}

export interface ToolRow {
  tool: string;
  pending?: 'logs' | 'events' | 'traces';
  args(s: Seeded, ids: { a: string; w: string }): Record<string, unknown>;
  native(s: Seeded): NativeRequest;
}

const ts = () => '2026-01-01T00:00:00Z';

export function newLog(flowRunId: string, message = `log ${randomUUID()}`): Record<string, unknown> {
  return { name: 'demo.flow', level: 20, message, timestamp: ts(), flow_run_id: flowRunId };
}

export function newEvent(flowRunId: string): Record<string, unknown> {
  return {
    id: randomUUID(),
    occurred: new Date().toISOString(),
    event: 'prefect.flow-run.Running',
    resource: { 'prefect.resource.id': `prefect.flow-run.${flowRunId}`, 'prefect.resource.name': 'demo-run' },
    related: [{ 'prefect.resource.id': 'prefect.tag.demo', 'prefect.resource.role': 'tag' }],
    payload: {},
  };
}

const eventFilter = (s: Seeded) => ({ filter: { resource: { id: [`prefect.flow-run.${s.flowRunId}`] } }, limit: 2 });
const countBody = { filter: { event: { prefix: ['prefect.'] } }, time_unit: 'day', time_interval: 1 };

export const TOOL_TABLE: ToolRow[] = [
  // prefect-logs.yaml
  {
    tool: 'download-flow-run-logs',
    args: (s) => ({ id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/flow_runs/${s.flowRunId}/download-logs-csv` }),
  },
  {
    tool: 'get-flow-run-logs',
    args: (s) => ({ id: s.flowRunId, limit: 3, level_ge: 20, sort: 'TIMESTAMP_ASC' }),
    native: (s) => ({
      method: 'GET',
      path: `/flow_runs/${s.flowRunId}/logs`,
      query: [
        ['level_ge', '20'],
        ['sort', 'TIMESTAMP_ASC'],
        ['limit', '3'],
      ],
    }),
  },
  {
    tool: 'download-flow-run-logs-2',
    args: (s, { a, w }) => ({ account_id: a, workspace_id: w, id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/flow_runs/${s.flowRunId}/logs/download` }),
  },
  {
    tool: 'create-logs',
    args: (s) => ({ body: [newLog(s.flowRunId)], 'x-prefect-api-version': '0.8.4' }),
    native: (s) => ({
      method: 'POST',
      path: '/logs/',
      headers: { 'x-prefect-api-version': '0.8.4' },
      body: [newLog(s.flowRunId)],
    }),
  },
  {
    tool: 'read-logs',
    args: (s, { a, w }) => ({
      account_id: a,
      workspace_id: w,
      body: { logs: { flow_run_id: { any_: [s.flowRunId] } }, limit: 3, sort: 'TIMESTAMP_DESC' },
    }),
    native: (s) => ({
      method: 'POST',
      path: '/logs/filter',
      body: { logs: { flow_run_id: { any_: [s.flowRunId] } }, limit: 3, sort: 'TIMESTAMP_DESC' },
    }),
  },
  {
    tool: 'read-workspace-observed-loggers',
    args: () => ({ limit: 5, order_by: 'NAME_ASC' }),
    native: () => ({
      method: 'GET',
      path: '/observed-loggers',
      query: [
        ['order_by', 'NAME_ASC'],
        ['limit', '5'],
      ],
    }),
  },
  {
    tool: 'read-trace-observed-loggers',
    args: (s) => ({ trace_id: s.flowRunId, query: 'demo' }),
    native: (s) => ({ method: 'GET', path: `/traces/${s.flowRunId}/observed-loggers`, query: [['query', 'demo']] }),
  },
  // prefect-spans.yaml
  {
    tool: 'read-workspace-observed-states',
    args: () => ({ limit: 5 }),
    native: () => ({ method: 'GET', path: '/observed-states', query: [['limit', '5']] }),
  },
  {
    tool: 'lookup-span-run-id',
    args: (s) => ({ run_id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/spans/lookup/${s.flowRunId}` }),
  },
  {
    tool: 'read-span-observed-tags',
    args: (s) => ({ span_id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/spans/${s.flowRunId}/observed-tags` }),
  },
  {
    tool: 'read-spans',
    args: (s) => ({ trace_id: s.flowRunId, depth: 0, state_types: ['COMPLETED', 'RUNNING'], limit: 10 }),
    native: (s) => ({
      method: 'GET',
      path: `/traces/${s.flowRunId}`,
      query: [
        ['depth', '0'],
        ['state_types', 'COMPLETED'],
        ['state_types', 'RUNNING'],
        ['limit', '10'],
      ],
    }),
  },
  {
    tool: 'read-span-context',
    args: (s) => ({ trace_id: s.flowRunId, span_id: s.flowRunId, context_size: 5 }),
    native: (s) => ({
      method: 'GET',
      path: `/traces/${s.flowRunId}/context/${s.flowRunId}`,
      query: [['context_size', '5']],
    }),
  },
  {
    tool: 'read-trace-observed-states',
    args: (s) => ({ trace_id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/traces/${s.flowRunId}/observed-states` }),
  },
  {
    tool: 'read-trace-observed-tags',
    args: (s) => ({ trace_id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/traces/${s.flowRunId}/observed-tags` }),
  },
  {
    tool: 'read-spans-ids',
    args: (s) => ({ trace_id: s.flowRunId, ids: [s.flowRunId, s.otherRunId] }),
    native: (s) => ({
      method: 'GET',
      path: `/traces/${s.flowRunId}/spans`,
      query: [
        ['ids', s.flowRunId],
        ['ids', s.otherRunId],
      ],
    }),
  },
  {
    tool: 'read-single-span',
    args: (s) => ({ trace_id: s.flowRunId, span_id: s.flowRunId }),
    native: (s) => ({ method: 'GET', path: `/traces/${s.flowRunId}/spans/${s.flowRunId}` }),
  },
  // prefect-events.yaml
  {
    tool: 'create-account-events',
    args: (s) => ({ body: [newEvent(s.flowRunId)] }),
    native: (s) => ({ method: 'POST', scope: 'account', path: '/events', body: [newEvent(s.flowRunId)] }),
  },
  {
    tool: 'create-account-events-2',
    args: (s, { a }) => ({ account_id: a, body: [newEvent(s.flowRunId)] }),
    native: (s) => ({ method: 'POST', scope: 'account', path: '/events', body: [newEvent(s.flowRunId)] }),
  },
  {
    tool: 'count-account-events',
    args: () => ({ countable: 'event', body: countBody }),
    native: () => ({ method: 'POST', scope: 'account', path: '/events/count-by/event', body: countBody }),
  },
  {
    tool: 'read-account-events',
    args: (s) => ({ body: eventFilter(s) }),
    native: (s) => ({ method: 'POST', scope: 'account', path: '/events/filter', body: eventFilter(s) }),
  },
  {
    tool: 'read-account-events-page',
    args: (s) => ({ 'page-token': s.accountPageToken }),
    native: (s) => ({
      method: 'GET',
      scope: 'account',
      path: '/events/filter/next',
      query: [['page-token', s.accountPageToken]],
    }),
  },
  {
    tool: 'create-workspace-events',
    args: (s) => ({ body: [newEvent(s.flowRunId)] }),
    native: (s) => ({ method: 'POST', path: '/events', body: [newEvent(s.flowRunId)] }),
  },
  {
    tool: 'count-workspace-events',
    args: () => ({ countable: 'resource', body: countBody }),
    native: () => ({ method: 'POST', path: '/events/count-by/resource', body: countBody }),
  },
  {
    tool: 'read-workspace-events',
    args: (s) => ({ body: eventFilter(s) }),
    native: (s) => ({ method: 'POST', path: '/events/filter', body: eventFilter(s) }),
  },
  {
    tool: 'read-workspace-events-page',
    args: (s) => ({ 'page-token': s.pageToken }),
    native: (s) => ({ method: 'GET', path: '/events/filter/next', query: [['page-token', s.pageToken]] }),
  },
  {
    tool: 'get-events-flow-run',
    args: (s) => ({ flow_run_id: s.flowRunId, limit: 5, order: 'ASC', with_task_runs: false }),
    native: (s) => ({
      method: 'GET',
      path: `/flow_runs/${s.flowRunId}/events`,
      query: [
        ['order', 'ASC'],
        ['with_task_runs', 'false'],
        ['limit', '5'],
      ],
    }),
  },
  {
    tool: 'list-tags',
    args: () => ({ limit: 5, sort: 'NAME_ASC' }),
    native: () => ({
      method: 'GET',
      path: '/tags',
      query: [
        ['sort', 'NAME_ASC'],
        ['limit', '5'],
      ],
    }),
  },
  {
    tool: 'delete-workspace-tag',
    args: () => ({ tag: 'never-seen-a' }),
    native: () => ({ method: 'DELETE', path: '/tags', query: [['tag', 'never-seen-b']] }),
  },
];

export function nativeUrl(server: TestServer, req: NativeRequest): string {
  const base = req.scope === 'account' ? `/api/accounts/${server.accountId}` : server.cloud('');
  const qs = (req.query ?? []).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return base + req.path + (qs ? `?${qs}` : '');
}

/** The REST gateway spelling of a native Cloud path (as the seed generator rewrote it). */
export function restPath(nativePath: string): string {
  return `/v1${nativePath.split('?')[0].replaceAll('/flow_runs/', '/flow-runs/').replace(/\/$/, '')}${nativePath.includes('?') ? nativePath.slice(nativePath.indexOf('?')) : ''}`;
}

/**
 * Seed data through the native API: a flow run, logs, events. Routes that have not landed yet
 * answer 404 and are skipped; the rows that need them are pending.
 */
export async function seed(server: TestServer): Promise<Seeded> {
  let flowRunId = randomUUID();
  const flow = await server.request('POST', server.cloud('/flows/'), { name: 'demo-flow' });
  if (flow.statusCode < 300) {
    const run = await server.request('POST', server.cloud('/flow_runs/'), {
      flow_id: flow.json().id,
      name: 'demo-run',
      tags: ['demo'],
    });
    if (run.statusCode < 300) flowRunId = run.json().id;
  }
  const logs = Array.from({ length: 6 }, (_, i) => ({
    ...newLog(flowRunId, `step ${i} done`),
    level: i % 2 ? 40 : 20,
    timestamp: `2026-01-01T00:00:0${i}Z`,
  }));
  const r = await server.request('POST', server.cloud('/logs/'), logs);
  if (r.statusCode >= 300) throw new Error(`seeding logs failed: ${r.statusCode} ${r.body}`);
  await server.request('POST', server.cloud('/events'), [
    newEvent(flowRunId),
    newEvent(flowRunId),
    newEvent(flowRunId),
  ]);
  let pageToken = 'not-a-token';
  const page = await server.request('POST', server.cloud('/events/filter'), {
    filter: { resource: { id: [`prefect.flow-run.${flowRunId}`] } },
    limit: 1,
  });
  if (page.statusCode === 200) {
    const next = page.json().next_page as string | null;
    if (next) pageToken = new URL(next).searchParams.get('page-token') ?? pageToken;
  }
  let accountPageToken = 'not-a-token';
  const accountPage = await server.request('POST', `/api/accounts/${server.accountId}/events/filter`, {
    filter: { resource: { id: [`prefect.flow-run.${flowRunId}`] } },
    limit: 1,
  });
  if (accountPage.statusCode === 200) {
    const next = accountPage.json().next_page as string | null;
    if (next) accountPageToken = new URL(next).searchParams.get('page-token') ?? accountPageToken;
  }
  return { flowRunId, otherRunId: randomUUID(), pageToken, accountPageToken };
}
