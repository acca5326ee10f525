/**
 * The one error model. Every failure Sightline reports carries a stable `code`; each surface maps
 * codes to its own shape in exactly one place (`api/errors.ts` for `/api`, the capability engine
 * for `/v1` and MCP).
 */
import { INVALID, type Issue, type Loc, MAX_ISSUES, type Schema, TOO_MANY_ISSUES } from '../lib/schema.ts';

export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'misdirected_request'
  | 'conflict'
  | 'unsupported'
  | 'unavailable'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'schema_too_new'
  | 'internal'
  /** A request Prefect answers 400 (a flow-run graph over its node limit). */
  | 'bad_request'
  // The flow-run management API's own (`/api/v1`, `{code, message}` bodies).
  | 'unsupported_parameter'
  | 'invalid_parameter'
  | 'run_not_finished'
  | 'run_finished'
  | 'download_not_ready'
  | 'gone'
  | 'too_many_jobs'
  // The agent tools' own (`/api/v1/agent/…`): a run-id prefix that names several runs.
  | 'ambiguous_id';

// ---- bounds: no error can be larger than a few tens of kilobytes, whatever the input -----------

/** Longest echo of one input (JSON characters); a longer input is echoed as a prefix ending in `…`. */
export const ECHO_MAX = 200;
/** Longest echo of a request body (Prefect's `request_body`). */
export const BODY_ECHO_MAX = 2000;
/** An error's message (long ones are reports, such as a capability file's problems). */
const MESSAGE_MAX = 16 * 1024;
const ISSUE_MESSAGE_MAX = 1000;
const LOC_PART_MAX = 100;
const LOC_MAX = 20;
/** Issues past this much JSON are counted, not shown. */
const ISSUES_CHARS_MAX = 32 * 1024;

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max)}…`);

class Full extends Error {}

/** The JSON text of `v`, or its first `max` characters and `complete: false` (work stops there). */
function jsonPrefix(v: unknown, max: number): { text: string; complete: boolean } {
  const parts: string[] = [];
  let len = 0;
  const put = (s: string) => {
    parts.push(s);
    len += s.length;
    if (len > max) throw new Full();
  };
  const write = (x: unknown): void => {
    if (typeof x === 'string') put(JSON.stringify(cut(x, max)));
    else if (typeof x === 'number') put(Number.isFinite(x) ? String(x) : 'null');
    else if (typeof x === 'boolean' || typeof x === 'bigint') put(String(x));
    else if (x === null || typeof x !== 'object') put('null');
    else if (Array.isArray(x)) {
      put('[');
      for (let i = 0; i < x.length; i++) {
        if (i) put(',');
        write(x[i]);
      }
      put(']');
    } else {
      put('{');
      let first = true;
      for (const k of Object.keys(x)) {
        if (!first) put(',');
        first = false;
        put(`${JSON.stringify(cut(k, max))}:`);
        write((x as Record<string, unknown>)[k]);
      }
      put('}');
    }
  };
  try {
    write(v);
    return { text: parts.join(''), complete: true };
  } catch (err) {
    if (err instanceof Full) return { text: parts.join('').slice(0, max), complete: false };
    throw err;
  }
}

/**
 * An input as it may be echoed in an error: itself when its JSON is at most `max` characters,
 * else the start of it (of the string, or of its JSON text) ending in `…`. Bounded work.
 */
export function echo(v: unknown, max: number = ECHO_MAX): unknown {
  if (v === undefined || v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return cut(v, max);
  if (typeof v !== 'object') return cut(String(v), max);
  const { text, complete } = jsonPrefix(v, max);
  return complete ? v : `${text}…`;
}

function boundLoc(loc: (string | number)[]): (string | number)[] {
  const parts = loc.length > LOC_MAX ? [...loc.slice(0, LOC_MAX - 1), '…'] : loc;
  return parts.map((p) => (typeof p === 'string' ? cut(p, LOC_PART_MAX) : p));
}

/** At most `MAX_ISSUES` issues (plus one saying what was left out), each with bounded parts. */
function boundIssues(issues: Issue[]): Issue[] {
  const out: Issue[] = [];
  let chars = 0;
  for (let i = 0; i < issues.length; i++) {
    const src = issues[i];
    const b: Issue = { loc: boundLoc(src.loc), msg: cut(src.msg, ISSUE_MESSAGE_MAX), type: cut(src.type, 100) };
    if (src.input !== undefined) b.input = echo(src.input);
    chars += JSON.stringify(b).length;
    if (src.type !== TOO_MANY_ISSUES && (out.length >= MAX_ISSUES || chars > ISSUES_CHARS_MAX)) {
      const left = issues.length - i;
      out.push({ loc: [], msg: `${left} more issue${left === 1 ? '' : 's'} not shown`, type: TOO_MANY_ISSUES });
      break;
    }
    out.push(b);
  }
  return out;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Bounded: see `boundIssues`. */
  readonly issues: Issue[];
  /** The parsed request body, echoed back by Prefect's open-source validation error shape (bounded). */
  readonly requestBody: unknown;
  /** Extra members of a `{code, message}` error body (`supported`, `parameter`): small, fixed lists and names. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: Issue[]; requestBody?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(cut(message, MESSAGE_MAX));
    this.name = 'AppError';
    this.code = code;
    this.issues = options.issues?.length ? boundIssues(options.issues) : [];
    this.requestBody = echo(options.requestBody, BODY_ECHO_MAX);
    this.details = options.details ?? {};
  }
}

export function invalidInput(issues: Issue[], requestBody?: unknown): AppError {
  const first = issues[0];
  const where = first ? first.loc.join('.') : 'input';
  return new AppError('invalid_input', `Invalid ${where}: ${first?.msg ?? 'invalid value'}`, { issues, requestBody });
}

/** A single-field validation failure raised outside schema parsing. */
export function invalidField(loc: (string | number)[], msg: string, type = 'value_error', input?: unknown): AppError {
  return invalidInput([{ loc, msg, type, input }]);
}

/** `what` is capitalised as Prefect does: "Flow run not found". */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/** Parses or throws an `invalid_input` AppError carrying every issue found. */
export function parseOrThrow<T>(s: Schema<T>, value: unknown, loc: Loc, requestBody?: unknown): T {
  const issues: Issue[] = [];
  const r = s.parse(value, loc, issues);
  if (r === INVALID || issues.length) throw invalidInput(issues, requestBody === undefined ? value : requestBody);
  return r;
}

/** A rate limit's refusal (429): surfaces tell the client to retry after `retryAfter` seconds. */
export class RateLimitError extends AppError {
  readonly retryAfter: number;

  constructor(message: string, retryAfter: number) {
    super('rate_limited', message);
    this.retryAfter = retryAfter;
  }
}
