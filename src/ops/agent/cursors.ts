/** The agent tools' cursors: signed with the database-held key, valid for an hour, one kind per use. */
import { badArgument } from '../../domain/agent/arguments.ts';
import type { OpContext } from '../context.ts';
import { signToken, tokenKey, verifyToken } from '../signed-token.ts';

const TTL_MS = 60 * 60 * 1000;

export function makeCursor(ctx: OpContext, kind: string, payload: Record<string, unknown>): string {
  return signToken(
    tokenKey(ctx.services),
    { ...payload, ws: ctx.workspace.id },
    { kind: `agent-${kind}`, ttlMs: TTL_MS },
  );
}

export function readCursor<T>(ctx: OpContext, kind: string, name: string, token: string): T {
  const p = verifyToken<T & { ws?: string }>(tokenKey(ctx.services), token, `agent-${kind}`);
  if (!p || p.ws !== ctx.workspace.id)
    throw badArgument(
      name,
      'is not a cursor of this tool and workspace, or it expired (after an hour)',
      'call again without it',
    );
  return p;
}
