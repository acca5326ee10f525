/** Accounts and workspaces: the only global objects. Everything else belongs to a workspace. */
import { named, object, str } from '../lib/schema.ts';
import { uuid } from './ids.ts';
import type { Micros } from './time.ts';

export interface Account {
  id: string;
  name: string;
  handle: string;
}

export interface Workspace {
  id: string;
  accountId: string;
  name: string;
  handle: string;
  description: string | null;
  isDefault: boolean;
  created: Micros;
}

/** What a caller chooses of a new account; the store assigns the id. */
export type NewAccount = Pick<Account, 'name' | 'handle'>;

/** What a caller chooses of a new workspace; the store assigns the rest. */
export type NewWorkspace = Pick<Workspace, 'accountId' | 'name' | 'handle' | 'description'>;

const accountWorkspaceFields = {
  account_id: uuid(),
  account_name: str(),
  account_handle: str(),
  workspace_id: uuid(),
  workspace_name: str(),
  workspace_description: str(),
  workspace_handle: str(),
};
export const accountWorkspaceSchema = named('AccountWorkspace', object(accountWorkspaceFields));
/** A workspace just created: the `/me/workspaces` item with the workspace's own `id`, `name` and `handle`. */
export const createdWorkspaceSchema = named(
  'CreatedWorkspace',
  object({ ...accountWorkspaceFields, id: uuid(), name: str(), handle: str() }),
);

/** `GET /api/me/workspaces` item, shaped as Prefect Cloud's. */
export function renderAccountWorkspace(account: Account, ws: Workspace): Record<string, unknown> {
  return {
    account_id: account.id,
    account_name: account.name,
    account_handle: account.handle,
    workspace_id: ws.id,
    workspace_name: ws.name,
    workspace_description: ws.description ?? '',
    workspace_handle: ws.handle,
  };
}
