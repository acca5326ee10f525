/**
 * Tenancy under `--auth`: a key reaches its account and the workspaces it was granted (all of
 * them when account-wide). Whatever else it names answers exactly as if it did not exist.
 */
import { AppError } from '../../domain/errors.ts';
import type { Workspace } from '../../domain/tenancy.ts';
import type { Caller } from './keyring.ts';

export function reachesWorkspace(caller: Caller, ws: Pick<Workspace, 'id' | 'accountId'>): boolean {
  const { key } = caller;
  return key.accountId === ws.accountId && (key.workspaceIds === null || key.workspaceIds.includes(ws.id));
}

/**
 * Open-source paths (`/api/...`) mean the caller's one granted workspace; for an account-wide key
 * of the server's default account, the default workspace. Any other key reaches several and gets
 * 403 with this message (`WorkspaceResolver` in `api/router.ts`).
 */
export const OSS_PATHS_NEED_ONE_WORKSPACE =
  'Forbidden: this key reaches several workspaces; use the Cloud paths /api/accounts/{account_id}/workspaces/{workspace_id}/…';

/** Account-scope routes (`/api/accounts/{a}/…` outside a workspace): an account-wide key of `accountId`. */
export function checkAccountReach(caller: Caller, accountId: string): void {
  if (caller.key.accountId !== accountId) throw new AppError('not_found', 'Account not found');
  if (caller.key.workspaceIds !== null)
    throw new AppError('forbidden', 'Forbidden: an account-wide key is required (this one is limited to workspaces)');
}
