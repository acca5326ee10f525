/**
 * The UI's one door to the server: the native API of the selected workspace on its Cloud path,
 * the key (kept in this browser's local storage) on every call, errors carrying the API's detail.
 */
import { signal } from '@preact/signals';

export interface WorkspaceRef {
  account_id: string;
  account_name: string;
  workspace_id: string;
  workspace_name: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY_STORE = 'sightline.api-key';

/** Set when the API answered 401: the app shows the key prompt. */
export const needsKey = signal(false);
export const workspaces = signal<WorkspaceRef[]>([]);
export const workspace = signal<WorkspaceRef | undefined>(undefined);
/** Whether the caller's key may write (retry, stop): false for a read key. */
export const mayWrite = signal(false);

export function apiKey(): string | null {
  return localStorage.getItem(KEY_STORE);
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORE, key);
  else localStorage.removeItem(KEY_STORE);
}

/** `/api/accounts/{a}/workspaces/{w}` of the selected workspace. */
export function base(): string {
  const w = workspace.value;
  if (!w) throw new Error('no workspace selected');
  return `/api/accounts/${w.account_id}/workspaces/${w.workspace_id}`;
}

function detailOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as { detail?: unknown; message?: unknown };
    if (typeof b.detail === 'string') return b.detail;
    if (Array.isArray(b.detail)) return b.detail.map((d: { msg?: string }) => d.msg ?? JSON.stringify(d)).join('; ');
    if (typeof b.message === 'string') return b.message;
  }
  return `HTTP ${status}`;
}

/** Calls `url` (absolute path) and returns its JSON; throws ApiError with the API's detail. */
export async function request<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = {};
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await r.text();
  const json = text ? JSON.parse(text) : undefined;
  if (r.status === 401) needsKey.value = true;
  if (!r.ok) throw new ApiError(r.status, detailOf(json, r.status));
  return json as T;
}

/** A call on the selected workspace's API (`path` relative to it, e.g. `/flow_runs/filter`). */
export function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>(method, base() + path, body, signal);
}

/** Loads the workspaces the key reaches and selects the one in the URL (`?workspace=`) or the first. */
export async function loadWorkspaces(): Promise<void> {
  const [list, me] = await Promise.all([
    request<WorkspaceRef[]>('GET', '/api/me/workspaces'),
    request<{ scope: string }>('GET', '/api/sightline/me'),
  ]);
  mayWrite.value = me.scope !== 'read';
  workspaces.value = list;
  const wanted = new URLSearchParams(location.search).get('workspace');
  workspace.value = list.find((w) => w.workspace_id === wanted) ?? list[0];
}

/** `ws://host/api/...` of a websocket route of the selected workspace. */
export function socketUrl(path: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${base()}${path}`;
}
