/**
 * What `sightline runs` and `sightline trace` need from a running Sightline, over its native API
 * (so they work against any instance, or a Prefect server): JSON calls, bounded paging, durations
 * and state colours. The server is found as by every client command (`api-client.ts`).
 */
import { AppError } from '../domain/errors.ts';
import { networkCause } from './api-client.ts';
import { paint, type Style } from './style.ts';

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
      throw new AppError('unavailable', `cannot reach the API at ${this.base} (${networkCause(err)})`);
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

const STATE_STYLES: Record<string, Style> = {
  COMPLETED: 'green',
  RUNNING: 'bold',
  SCHEDULED: 'yellow',
  PAUSED: 'yellow',
  PENDING: 'dim',
  CANCELLING: 'dim',
  CANCELLED: 'dim',
  FAILED: 'red',
  CRASHED: 'boldRed',
};

/** The state name, styled by state type when `colour` is on. */
export function paintState(name: string, type: string | null, colour: boolean): string {
  const style = type ? STATE_STYLES[type] : undefined;
  return colour && style ? paint(name, style) : name;
}
