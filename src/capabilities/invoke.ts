/**
 * Runs one exposed call: maps the exposed inputs through `with` onto the consumed parameters,
 * builds the upstream request (path variables URL-encoded, arrays as repeated query keys, the
 * body as JSON or passed through raw), adds the credential and sends it to the target.
 */
import { AppError } from '../domain/errors.ts';
import type { Issue } from '../lib/schema.ts';
import type { Defaults, InResponse, OutRequest, Target } from './consumers.ts';
import type { Authentication, Capability, ConsumedApi, ConsumedOperation, ExposedCall } from './model.ts';
import { checkValue } from './tool-schema.ts';

/** A REST body passed through as received (so the upstream judges it, as it would directly). */
export interface RawBody {
  raw: Buffer;
  contentType?: string;
}

export function isRawBody(v: unknown): v is RawBody {
  return typeof v === 'object' && v !== null && Buffer.isBuffer((v as RawBody).raw);
}

/** Looks an exposed input up by name; `undefined` when the caller did not give it. */
export type Lookup = (name: string) => unknown;

/** One consumed API as the engine runs it: where it goes and with which credential. */
export interface Binding {
  cap: Capability;
  api: ConsumedApi;
  target: Target;
  /** `true` when account/workspace ids may default (the configured Prefect-shaped API). */
  defaultsApply: boolean;
  /** Upstream credential from --upstream-key, for APIs with an empty baseUri. */
  upstreamKey?: string;
}

function render(text: string, vars: (name: string) => unknown): string {
  return text.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_m, name: string) => {
    const v = vars(name);
    return v === undefined || v === null ? '' : String(v);
  });
}

function authHeaders(
  b: Binding,
  auth: Authentication | undefined,
): { headers: Record<string, string>; query: [string, string][] } {
  const vars = (n: string) => b.cap.binds.get(n);
  const headers: Record<string, string> = {};
  const query: [string, string][] = [];
  if (auth) {
    if (auth.type === 'bearer') {
      const token = render(auth.token, vars);
      if (token) headers.authorization = `Bearer ${token}`;
    } else if (auth.type === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${render(auth.username, vars)}:${render(auth.password, vars)}`).toString('base64')}`;
    } else {
      const value = render(auth.value, vars);
      if (value && auth.placement === 'query') query.push([auth.key, value]);
      else if (value) headers[auth.key.toLowerCase()] = value;
    }
    return { headers, query };
  }
  if (b.target.local) return { headers, query };
  // No authentication block: the default bearer credential is --upstream-key (for the configured
  // API) or the first bind variable (PREFECT_API_KEY in the seeds). Absent → no header.
  const key = (b.api.baseUri === '' ? b.upstreamKey : undefined) ?? b.cap.binds.values().next().value;
  if (key) headers.authorization = `Bearer ${key}`;
  return { headers, query };
}

function serialize(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const DEFAULTABLE = ['account_id', 'workspace_id'] as const;

/** The consumed parameter values for this call, by consumed parameter name. */
export async function resolveValues(call: ExposedCall, b: Binding, lookup: Lookup): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  const vars = (n: string) => lookup(n) ?? b.cap.binds.get(n);
  for (const p of call.call.params)
    if (p.value !== undefined) values.set(p.name, typeof p.value === 'string' ? render(p.value, vars) : p.value);
  for (const [key, binding] of call.with) {
    const v =
      binding.kind === 'input'
        ? lookup(binding.name)
        : binding.kind === 'template'
          ? render(binding.text, vars)
          : binding.value;
    if (v !== undefined && v !== null) values.set(key, v);
  }
  if (
    b.defaultsApply &&
    DEFAULTABLE.some((k) => !values.has(k) && call.call.params.some((p) => p.name === k && p.in === 'path'))
  ) {
    const d: Defaults = await b.target.defaults();
    for (const k of DEFAULTABLE) if (!values.has(k) && d[k]) values.set(k, d[k]);
  }
  return values;
}

/** Names the exposed input a consumed parameter comes from (for messages). */
export function inputNameFor(call: ExposedCall, param: string): string {
  const w = call.with.find(([k]) => k === param)?.[1];
  return w?.kind === 'input' ? w.name : param;
}

export function buildRequest(call: ExposedCall, b: Binding, values: Map<string, unknown>): OutRequest {
  const op: ConsumedOperation = call.call;
  const issues: Issue[] = [];
  for (const p of op.params) {
    if (p.required && !values.has(p.name)) {
      const name = inputNameFor(call, p.name);
      const hint =
        b.defaultsApply && (DEFAULTABLE as readonly string[]).includes(p.name) ? ' (no default is configured)' : '';
      issues.push({ loc: [p.in, name], msg: `'${name}' is required${hint}`, type: 'missing' });
    }
  }
  // A path variable is checked against its declared type before any URL exists: `..` (or `a/b`)
  // for an id would otherwise make the call address another route, upstream with our credential.
  for (const p of op.params) {
    if (p.in !== 'path' || !values.has(p.name)) continue;
    const name = inputNameFor(call, p.name);
    const v = values.get(p.name);
    const r = checkValue(name, p.schema, v);
    if ('message' in r) issues.push({ loc: ['path', name], msg: r.message, type: 'value_error' });
    else if (/^\.{1,2}$/.test(serialize(r.value)) || serialize(r.value) === '') {
      issues.push({
        loc: ['path', name],
        msg: `argument '${name}' must not be '${serialize(r.value)}'`,
        type: 'value_error',
      });
    } else values.set(p.name, r.value);
  }
  if (issues.length) throw new AppError('invalid_input', issues.map((i) => i.msg).join('; '), { issues });

  const path = op.path.replace(/\{\{?([^{}]+)\}?\}/g, (_m, name: string) =>
    encodeURIComponent(serialize(values.get(name))),
  );
  const { headers, query } = authHeaders(b, b.api.authentication);
  let body: string | Buffer | undefined;
  for (const p of op.params) {
    const v = values.get(p.name);
    if (v === undefined || p.in === 'path') continue;
    if (p.in === 'query') {
      for (const item of Array.isArray(v) ? v : [v]) query.push([p.name, serialize(item)]);
    } else if (p.in === 'header') {
      // The credential is the engine's to set; a caller never overrides it.
      if (p.name.toLowerCase() !== 'authorization') headers[p.name.toLowerCase()] = serialize(v);
    } else if (isRawBody(v)) {
      body = v.raw;
      headers['content-type'] = v.contentType ?? 'application/json';
    } else {
      body = JSON.stringify(v);
      headers['content-type'] = 'application/json';
    }
  }
  const qs = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { method: op.method, path: qs ? `${path}?${qs}` : path, headers, body };
}

export async function invoke(
  call: ExposedCall,
  b: Binding,
  lookup: Lookup,
  signal?: AbortSignal,
): Promise<{ request: OutRequest; response: InResponse }> {
  const values = await resolveValues(call, b, lookup);
  const request = buildRequest(call, b, values);
  return { request, response: await b.target.send(request, signal) };
}
