/**
 * Span page cursors. A cursor names a position in span order (`start`, `span_id`), which side of it
 * the page lies on (after it: `next_cursor`; before it: `prev_cursor`), and the query it belongs
 * to: workspace, trace, filters and direction. A request that carries a cursor and no filter or
 * direction continues the cursor's query; one that repeats them must repeat them exactly.
 */
import { invalidField } from '../../domain/errors.ts';
import type { SpanFilters } from '../../domain/spans/query.ts';
import type { SpanPosition } from '../../domain/spans/span.ts';
import type { OpContext } from '../context.ts';
import { signToken, tokenKey, verifyToken } from '../signed-token.ts';

const KIND = 'spans-cursor';
/** Keyset positions never go stale, but a token should not live forever. */
export const CURSOR_TTL_MS = 24 * 3600 * 1000;

/** The query a cursor is bound to, in canonical form (lists sorted and de-duplicated). */
export interface SpanQueryKey extends Omit<SpanFilters, 'text'> {
  /** The text query as the client wrote it. */
  query?: string;
  direction: 'asc' | 'desc';
}

export function canonicalQuery(q: Partial<SpanQueryKey>): SpanQueryKey {
  const list = <T extends string>(v: T[] | undefined) => (v?.length ? [...new Set(v)].sort() : undefined);
  const out: SpanQueryKey = { direction: q.direction ?? 'asc' };
  if (q.parent_span_id !== undefined) out.parent_span_id = q.parent_span_id;
  if (q.depth !== undefined) out.depth = q.depth;
  const entities = list(q.entities);
  if (entities) out.entities = entities;
  const stateTypes = list(q.state_types);
  if (stateTypes) out.state_types = stateTypes;
  const stateNames = list(q.state_names);
  if (stateNames) out.state_names = stateNames;
  const tags = list(q.tags);
  if (tags) out.tags = tags;
  if (q.query !== undefined && q.query.trim() !== '') out.query = q.query;
  return out;
}

function sameQuery(a: SpanQueryKey, b: SpanQueryKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface DecodedCursor {
  query: SpanQueryKey;
  position: SpanPosition;
  /** The page lies before `position` (a `prev_cursor`). */
  before: boolean;
}

interface Payload {
  w: string;
  t: string;
  q: SpanQueryKey;
  p: [number, string];
  b: 0 | 1;
}

export async function makeCursor(ctx: OpContext, traceId: string, c: DecodedCursor): Promise<string> {
  const payload: Payload = {
    w: ctx.workspace.id,
    t: traceId,
    q: c.query,
    p: [c.position.start, c.position.id],
    b: c.before ? 1 : 0,
  };
  return signToken(tokenKey(ctx.services), { ...payload }, { kind: KIND, ttlMs: CURSOR_TTL_MS });
}

const invalidCursor = (why: string) => invalidField(['query', 'cursor'], `Invalid cursor: ${why}`, 'value_error');

/**
 * The cursor's position and query. `given` is the query the request spelled out (undefined when it
 * sent no filter and no direction). Rejects (422) forged, altered, expired and foreign cursors.
 */
export async function readCursor(
  ctx: OpContext,
  traceId: string,
  token: string,
  given: SpanQueryKey | undefined,
): Promise<DecodedCursor> {
  const p = verifyToken<Payload>(tokenKey(ctx.services), token, KIND);
  if (!p) throw invalidCursor('it is malformed, altered or expired; start again from the first page.');
  if (p.w !== ctx.workspace.id || p.t !== traceId) throw invalidCursor('it belongs to another trace.');
  if (!Array.isArray(p.p) || typeof p.p[0] !== 'number' || typeof p.p[1] !== 'string' || typeof p.q !== 'object') {
    throw invalidCursor('it is malformed; start again from the first page.');
  }
  const query = canonicalQuery(p.q);
  if (given && !sameQuery(given, query)) {
    throw invalidCursor(
      'it was issued for other filters or another direction; repeat the parameters of the first page, or send the cursor alone.',
    );
  }
  return { query, position: { start: p.p[0], id: p.p[1] }, before: p.b === 1 };
}
