/**
 * Keeps MCP tool results within `--mcp-max-chars`. A JSON list is cut at a whole item and says
 * how to continue: `{"truncated": true, "returned": n, "next": {<argument>: <value>}}` (plus a
 * `hint` where no argument can resume exactly); an item larger than the whole budget is returned
 * with its longest strings shortened (`<field>_truncated: true`); text such as CSV is cut at a line.
 */
import { shrink } from '../lib/json-shrink.ts';
import type { Paging } from './model.ts';

type Obj = Record<string, unknown>;

export interface Cut {
  value: unknown;
  text: string;
  truncated: boolean;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Sets a possibly dotted argument (`body.offset`) on a copy of the arguments it came from. */
function setArg(args: Obj, dotted: string, value: unknown): Obj {
  const [head, ...rest] = dotted.split('.');
  if (!rest.length) return { [head]: value };
  const inner = typeof args[head] === 'object' && args[head] !== null ? (args[head] as Obj) : {};
  return { [head]: { ...inner, ...setArg(inner, rest.join('.'), value) } };
}

function getArg(args: Obj, dotted: string): unknown {
  let v: unknown = args;
  for (const k of dotted.split('.')) v = typeof v === 'object' && v !== null ? (v as Obj)[k] : undefined;
  return v;
}

/** The arguments that continue after `returned` items, or undefined when none resumes exactly. */
export function nextArguments(paging: Paging, args: Obj, returned: number): Obj | undefined {
  if (returned === 0) return undefined;
  switch (paging.kind) {
    case 'offset':
      return setArg(args, paging.argument, (Number(getArg(args, paging.argument)) || 0) + returned);
    case 'page': {
      const page = Number(args[paging.page]) || 1;
      const limit = Number(args[paging.limit]) || paging.defaultLimit;
      // The next item's index must be a multiple of the new page size to resume exactly.
      const start = (page - 1) * limit + returned;
      const size = gcd(start, returned);
      return { [paging.page]: start / size + 1, [paging.limit]: size };
    }
    case 'limit':
      return setArg(args, paging.argument, returned);
    default:
      return undefined;
  }
}

function findList(value: unknown, preferred?: string): { list: unknown[]; key?: string } | undefined {
  if (Array.isArray(value)) return { list: value };
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Obj;
  if (preferred && Array.isArray(o[preferred])) return { list: o[preferred] as unknown[], key: preferred };
  let best: { list: unknown[]; key: string } | undefined;
  for (const [k, v] of Object.entries(o))
    if (Array.isArray(v) && (!best || v.length > best.list.length)) best = { list: v, key: k };
  return best;
}

export function cutJson(value: unknown, maxChars: number, paging: Paging, args: Obj): Cut {
  const text = JSON.stringify(value);
  if (text.length <= maxChars) return { value, text, truncated: false };
  const found = findList(value, paging.list);
  const hint = paging.kind === 'limit' || paging.kind === 'none' ? paging.hint : undefined;
  if (!found) {
    const out = { truncated: true, returned: 0, hint: 'the answer is too large to return and holds no list to cut' };
    return { value: out, text: JSON.stringify(out), truncated: true };
  }
  const envelope = (items: unknown[], n: number): Obj => {
    const next = nextArguments(paging, args, n);
    const extra: Obj = { truncated: true, returned: n, ...(next ? { next } : {}), ...(hint ? { hint } : {}) };
    return found.key === undefined ? { result: items, ...extra } : { ...(value as Obj), [found.key]: items, ...extra };
  };
  // Budget the items against what the envelope itself takes.
  const budget = maxChars - JSON.stringify(envelope([], found.list.length)).length;
  let used = 0;
  let n = 0;
  for (const item of found.list) {
    const size = JSON.stringify(item).length + (n ? 1 : 0);
    if (used + size > budget) break;
    used += size;
    n++;
  }
  // Not even one item fits: the first one, its longest strings shortened, so the list advances.
  const items = n === 0 && found.list.length ? [shrink(found.list[0], budget)] : found.list.slice(0, n);
  const out = envelope(items, items.length);
  return { value: out, text: JSON.stringify(out), truncated: true };
}

/** Cuts text at the last whole line within the budget. */
export function cutText(
  text: string,
  maxChars: number,
  hint?: string,
): { text: string; truncated: boolean; lines: number } {
  if (text.length <= maxChars) return { text, truncated: false, lines: text.split('\n').filter(Boolean).length };
  const note = `\n[truncated at ${maxChars} characters${hint ? `; ${hint}` : ''}]`;
  const room = Math.max(0, maxChars - note.length);
  const end = text.lastIndexOf('\n', room);
  const kept = end > 0 ? text.slice(0, end + 1) : '';
  return { text: kept + note.slice(1), truncated: true, lines: kept.split('\n').filter(Boolean).length };
}
