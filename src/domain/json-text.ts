/**
 * Untrusted JSON text → a value, with bounded cost. `JSON.parse` itself is fast but builds every
 * object it reads: 16 MiB of `[{},{},…]` is 5.6 million objects (over 300 MB of heap and seconds
 * of work) before any validation can reject it. Text over `SCAN_FROM` characters is therefore
 * scanned first (one pass, strings skipped natively) and refused when it holds more containers or
 * nests deeper than any real request does. Smaller text cannot cost much and is parsed directly.
 */
import { AppError } from './errors.ts';

/** Text at most this long is parsed without a scan: its worst case is a few tens of MB, briefly. */
export const SCAN_FROM = 1024 * 1024;
/** Objects and arrays in one request body: a 16 MiB batch of real logs or events holds < 200,000. */
export const MAX_CONTAINERS = 500_000;
/** Nesting of a whole body (free-form values inside it are held to `MAX_JSON_DEPTH` by the schemas). */
export const MAX_BODY_DEPTH = 128;

const QUOTE = 34;
const BACKSLASH = 92;

/** The problem with `text`'s shape, or undefined. Brackets inside strings are not counted. */
function shapeProblem(text: string): string | undefined {
  let depth = 0;
  let containers = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the closing quote: one preceded by an even number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return undefined; // unterminated: JSON.parse reports it
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === 123 || c === 91) {
      if (++containers > MAX_CONTAINERS) return `holds more than ${MAX_CONTAINERS} JSON objects and arrays`;
      if (++depth > MAX_BODY_DEPTH) return `is nested more than ${MAX_BODY_DEPTH} levels deep`;
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
}

function invalidJson(msg: string): AppError {
  return new AppError('invalid_input', 'Request body is not valid JSON', {
    issues: [{ loc: ['body'], msg, type: 'json_invalid' }],
    requestBody: null,
  });
}

/**
 * Parses a request body or message; blank text is `undefined`. Throws a 422 `AppError`. `scan`:
 * always check the shape, for text that is serialised again as a whole after parsing (an
 * MCP request), where 10,000 levels of nesting in a few kilobytes would overflow the stack.
 */
export function parseJsonText(text: string, opts: { scan?: 'always' } = {}): unknown {
  if (text.length > SCAN_FROM || opts.scan === 'always') {
    const problem = shapeProblem(text);
    if (problem) throw invalidJson(`JSON decode error: the body ${problem}`);
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidJson(`JSON decode error: ${(err as Error).message}`);
  }
}
