/**
 * What `sightline runs` and `sightline trace` need from a running Sightline, over its native API
 * (so they work against any instance, or a Prefect server): JSON calls, bounded paging, and the
 * server discovery rule of client commands (`--api`, `SIGHTLINE_API_URL`, `PREFECT_API_URL`).
 */
import { AppError } from '../domain/errors.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:4200/api';

export function apiUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return (flag || env.SIGHTLINE_API_URL || env.PREFECT_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
}

/** JSON from the API, read loosely. */
export type Json = any;

export class RunApi {
  readonly base: string;
  private readonly key: string | undefined;

  constructor(base: string, key?: string) {
    this.base = base;
    this.key = key;
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { 'content-type': 'application/json', ...(this.key ? { authorization: `Bearer ${this.key}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new AppError('unavailable', `cannot reach the API at ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404 && path.startsWith('/flow_runs/') && method === 'GET') {
      throw new AppError('not_found', `no flow run ${path.slice('/flow_runs/'.length)} at ${this.base}`);
    }
    if (!res.ok) throw new AppError('bad_gateway', `${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Every row of a `/…/filter` route, 200 at a time, up to `max` rows. */
  async all(path: string, body: Record<string, unknown>, max: number): Promise<Json[]> {
    const out: Json[] = [];
    while (out.length < max) {
      const limit = Math.min(200, max - out.length);
      const page: Json[] = await this.call('POST', path, { ...body, limit, offset: out.length });
      out.push(...page);
      if (page.length < limit) break;
    }
    return out;
  }
}

/** `1.23s`, `45ms`, `2m05s`, `1h02m`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const COLORS: Record<string, string> = {
  COMPLETED: '32',
  RUNNING: '34',
  PENDING: '90',
  SCHEDULED: '33',
  FAILED: '31',
  CRASHED: '35',
  CANCELLED: '90',
  CANCELLING: '90',
  PAUSED: '33',
};

/** The state name, coloured by state type when `color` is on. */
export function paintState(name: string, type: string | null, color: boolean): string {
  const code = type ? COLORS[type] : undefined;
  return color && code ? `\x1b[${code}m${name}\x1b[0m` : name;
}

export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}
