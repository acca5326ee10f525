/**
 * How client commands (`sightline logs`, `sightline events`, …) reach a server: `--api URL`, else
 * `SIGHTLINE_API_URL`, else `PREFECT_API_URL` (the URL a Prefect user already has), else the
 * local default. Either path family works: `…/api` or `…/api/accounts/{a}/workspaces/{w}`.
 */
import type { OptionSpec } from '../config/schema.ts';
import { StartupError } from '../config/startup-error.ts';
import { AppError } from '../domain/errors.ts';
import { type Micros, parseIsoMicros } from '../domain/time.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:4200/api';

/** The `--api` option of every client command. */
export const apiOption = {
  type: 'string',
  help: `The API to read: its /api URL or a Cloud-style workspace URL (default: SIGHTLINE_API_URL, else PREFECT_API_URL, else ${DEFAULT_API_URL}).`,
} as const satisfies OptionSpec;

export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = [flag, env.SIGHTLINE_API_URL, env.PREFECT_API_URL, DEFAULT_API_URL].find(
    (u) => u !== undefined && u.trim() !== '',
  )!;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new AppError('invalid_input', `not a URL: '${url}' (set --api, SIGHTLINE_API_URL or PREFECT_API_URL)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('invalid_input', `the API URL must be http(s): '${url}'`);
  }
  // The server's root answers nothing the commands ask: the API lives under /api.
  if (parsed.pathname === '/' && !parsed.search)
    throw new AppError(
      'invalid_input',
      `'${url}' is a server, not its API: the API URL ends in /api (${parsed.origin}/api)`,
    );
  return parsed.toString().replace(/\/+$/, '');
}

/** The `--api-key` option of every client command. */
export const API_KEY_OPTION = {
  type: 'string',
  help: 'API key of a server run with --auth (default: SIGHTLINE_API_KEY, else PREFECT_API_KEY).',
} as const;

/** The key client commands send: `--api-key`, else `SIGHTLINE_API_KEY`, else `PREFECT_API_KEY`. */
export function resolveApiKey(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return [flag, env.SIGHTLINE_API_KEY, env.PREFECT_API_KEY].find((k) => k !== undefined && k.trim() !== '')?.trim();
}

/** The `Authorization` header of `key` (none without one). */
export function keyHeaders(key: string | undefined): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Why a `fetch` got no answer: `ECONNREFUSED`, `ENOTFOUND`, a timeout… (fetch itself says only "fetch failed"). */
export function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  if ((err as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message ?? (err as Error).message;
}

/** Fails with what is wrong when nothing answers at `api` (any HTTP answer will do). */
export async function reachable(api: string): Promise<void> {
  try {
    const res = await fetch(api, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  } catch (err) {
    const cause = networkCause(err);
    throw new StartupError(`cannot reach the API at ${api} (${cause}): start it, or name another with --api`);
  }
}

/** The websocket URL of a route under the API (`/logs/out` → `ws://…/api/logs/out`). */
export function websocketUrl(api: string, path: string): string {
  return api.replace(/^http/, 'ws') + path;
}

/** Why a request failed, in the server's words when it gave some. */
function describeFailure(status: number, body: string): string {
  try {
    const json = JSON.parse(body) as { detail?: unknown; exception_message?: unknown; exception_detail?: unknown };
    const detail = json.exception_detail ?? json.detail ?? json.exception_message;
    if (Array.isArray(detail)) {
      return detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg}`).join('; ');
    }
    if (typeof detail === 'string') return detail;
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200) || `HTTP ${status}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HTTP_DATE = /^\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}:\d{2}:\d{2}) GMT$/;

/** An HTTP `Date` header (IMF-fixdate), to second precision. */
export function parseHttpDate(value: string | null): Micros | undefined {
  const m = value ? HTTP_DATE.exec(value) : null;
  const month = m ? MONTHS.indexOf(m[2]) + 1 : 0;
  if (!m || month === 0) return undefined;
  return parseIsoMicros(`${m[3]}-${String(month).padStart(2, '0')}-${m[1]}T${m[4]}Z`);
}

/** GETs JSON from the API; a 4xx/5xx or an unreachable server becomes an `AppError`. */
export async function getJson<T>(url: string, key?: string): Promise<T> {
  return (await getJsonWithDate<T>(url, key)).body;
}

/** Like `getJson`, with the server's clock (its `Date` header) at the time it answered. */
export async function getJsonWithDate<T>(url: string, key?: string): Promise<{ body: T; date: Micros | undefined }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...keyHeaders(key) } });
  } catch (err) {
    const cause = networkCause(err);
    throw new AppError(
      'unavailable',
      `cannot reach the API at ${new URL(url).origin} (${cause}); set --api, SIGHTLINE_API_URL or PREFECT_API_URL`,
    );
  }
  const body = await res.text();
  if (!res.ok) {
    throw new AppError(
      res.status === 404 ? 'not_found' : 'invalid_input',
      `${res.status}: ${describeFailure(res.status, body)}`,
    );
  }
  return { body: JSON.parse(body) as T, date: parseHttpDate(res.headers.get('date')) };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `--since` of the client commands: an ISO-8601 time, or a duration back from now (15m, 2h, 7d). */
export function parseSince(text: string, now = Date.now()): string {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]] * 1000).toISOString();
  if (!Number.isNaN(Date.parse(text))) return text;
  throw new AppError(
    'invalid_input',
    `--since must be an ISO-8601 time or a duration like 15m, 2h or 7d, got '${text}'`,
  );
}
