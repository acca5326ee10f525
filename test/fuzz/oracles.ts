/**
 * What every answer must satisfy, whatever was sent: no 5xx (no websocket closed as an internal
 * error), an answer within the deadline, and every error in its surface's shape and at most
 * 64 KiB — Prefect's bodies on `/api`, `{code, message}` (or the native body passed through) on
 * `/v1`, JSON-RPC errors or `isError` results on MCP, small JSON error frames on websockets.
 */

import type { Case } from './cases.ts';
import { mcpMessage } from './operations.ts';
import type { Answer, HttpAnswer } from './send.ts';

export const ERROR_MAX_BYTES = 64 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function issueList(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every((i) => isObj(i) && Array.isArray(i.loc) && typeof i.msg === 'string' && typeof i.type === 'string')
  );
}

/** Prefect's error shapes: `{detail: string | issues}` or `{exception_message, exception_detail?, request_body?}`. */
function nativeShape(b: unknown): boolean {
  if (!isObj(b)) return false;
  if (typeof b.exception_message === 'string') return b.exception_detail === undefined || issueList(b.exception_detail);
  return typeof b.detail === 'string' || issueList(b.detail);
}

function gatewayShape(b: unknown): boolean {
  return (
    isObj(b) &&
    typeof b.code === 'string' &&
    typeof b.message === 'string' &&
    (b.issues === undefined || issueList(b.issues))
  );
}

/** As the server reads it: the raw path (`%2e%2e` is not resolved). */
const MANAGEMENT_API = /^\/api\/(?:accounts\/[^/]+\/workspaces\/[^/]+\/)?v1(?:[/?]|$)/;

function parse(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function httpProblems(c: Case, a: HttpAnswer): string[] {
  const problems: string[] = [];
  if (a.status >= 500) problems.push(`answered ${a.status}`);
  if (a.status < 400 || a.status === 304) return problems;
  if (a.bodyBytes > ERROR_MAX_BYTES) problems.push(`error body of ${a.bodyBytes} bytes (over 64 KiB)`);
  const body = parse(a.body);
  if (!body.ok) return [...problems, `error body is not JSON: ${a.body.toString('utf8').slice(0, 200)}`];
  // The REST gateway and the flow-run management API (`/api/…/v1/…`) answer `{code, message}`.
  const coded =
    c.kind === 'http' && (c.surface === 'rest' || MANAGEMENT_API.test(c.url.replace(/^https?:\/\/[^/]+/, '')));
  const shaped = coded ? gatewayShape(body.value) || nativeShape(body.value) : nativeShape(body.value);
  if (!shaped) problems.push(`error body not in the surface's shape: ${a.body.toString('utf8').slice(0, 300)}`);
  return problems;
}

function mcpProblems(a: HttpAnswer): string[] {
  if (a.status >= 500) return [`answered ${a.status}`];
  if (a.status === 202 && a.bodyBytes === 0) return []; // a notification
  let msg: unknown;
  try {
    msg = mcpMessage(a.body.toString('utf8'));
  } catch (err) {
    return [`not a JSON-RPC answer (${(err as Error).message}): ${a.body.toString('utf8').slice(0, 300)}`];
  }
  const problems: string[] = [];
  for (const m of Array.isArray(msg) ? msg : [msg]) {
    if (!isObj(m)) {
      problems.push('JSON-RPC answer is not an object');
      continue;
    }
    if (isObj(m.error)) {
      if (typeof m.error.code !== 'number' || typeof m.error.message !== 'string')
        problems.push(`malformed JSON-RPC error: ${JSON.stringify(m.error).slice(0, 300)}`);
      if (JSON.stringify(m).length > ERROR_MAX_BYTES)
        problems.push(`JSON-RPC error of ${JSON.stringify(m).length} chars`);
      if (m.error.code === -32603) problems.push(`internal error: ${String(m.error.message).slice(0, 300)}`);
    } else if (isObj(m.result) && m.result.isError) {
      const text = (m.result.content as { text?: string }[] | undefined)?.[0]?.text;
      if (typeof text !== 'string') problems.push('isError result without text');
      else if (text.length > ERROR_MAX_BYTES) problems.push(`isError text of ${text.length} chars`);
      if (/answered HTTP 5\d\d/.test(text ?? '')) problems.push(`the tool's API answered 5xx: ${text?.slice(0, 300)}`);
    } else if (!isObj(m.result)) problems.push(`neither result nor error: ${JSON.stringify(m).slice(0, 300)}`);
  }
  return problems;
}

export function judge(c: Case, a: Answer): string[] {
  if (a.kind === 'failed') return [a.error];
  if (a.kind === 'http') return c.kind === 'mcp' ? mcpProblems(a) : httpProblems(c, a);
  const problems: string[] = [];
  if (a.refused !== undefined) {
    if (a.refused >= 500) problems.push(`upgrade answered ${a.refused}`);
    return problems;
  }
  if (a.close?.code === 1011) problems.push(`closed as an internal error (1011): ${a.close.reason}`);
  for (const m of a.messages) {
    const text = typeof m === 'string' ? m : m.toString('utf8');
    if (text.length > ERROR_MAX_BYTES && /"type":"error"/.test(text.slice(0, 100)))
      problems.push(`error frame of ${text.length} chars`);
    const parsed = parse(Buffer.from(text));
    if (!parsed.ok || !isObj(parsed.value) || typeof parsed.value.type !== 'string')
      problems.push(`frame is not a typed JSON message: ${text.slice(0, 200)}`);
  }
  return problems;
}
