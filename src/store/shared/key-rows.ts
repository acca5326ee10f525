/** API key rows of both engines: the column order of an insert and the decoding of a read. */
import type { ApiKey, KeyScope, NewApiKey } from '../../domain/access.ts';
import type { Micros } from '../../domain/time.ts';
import type { Row } from './row-decoding.ts';

export const KEY_COLUMNS = [
  'id',
  'account_id',
  'workspace_ids',
  'scope',
  'name',
  'prefix',
  'hash',
  'created',
  'expires',
  'rate_limit_requests',
  'rate_limit_items',
] as const;

/** The insert values of `key` in `KEY_COLUMNS` order; `workspaces` spells the id list per engine. */
export function keyValues<W>(key: NewApiKey, created: Micros, workspaces: (ids: string[]) => W): unknown[] {
  return [
    key.id,
    key.accountId,
    key.workspaceIds === null ? null : workspaces(key.workspaceIds),
    key.scope,
    key.name,
    key.prefix,
    key.hash,
    created,
    key.expires,
    key.rateLimitRequests,
    key.rateLimitItems,
  ];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A stored key; `workspaces` reads the engine's id list (JSON text or an array). */
export function toApiKey(r: Row, workspaces: (v: unknown) => string[]): ApiKey {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    workspaceIds: r.workspace_ids === null || r.workspace_ids === undefined ? null : workspaces(r.workspace_ids),
    scope: r.scope as KeyScope,
    name: r.name as string,
    prefix: r.prefix as string,
    hash: r.hash as string,
    created: Number(r.created),
    expires: num(r.expires),
    revoked: num(r.revoked),
    lastUsed: num(r.last_used),
    rateLimitRequests: num(r.rate_limit_requests),
    rateLimitItems: num(r.rate_limit_items),
  };
}
