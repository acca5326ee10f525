/** Accounts and workspaces: the reads and writes the routes outside the path families need. */
import { notFound } from '../../domain/errors.ts';
import { normalizeUuid } from '../../domain/ids.ts';
import { renderAccountWorkspace, type Workspace } from '../../domain/tenancy.ts';
import type { Caller } from '../access/keyring.ts';
import { reachesWorkspace } from '../access/reach.ts';
import { type Services, type StoreServices, storeOf } from '../context.ts';
import { type EventsContext, scopeRootPath } from '../events/context.ts';

/** The workspace of a Cloud path, or undefined when the account has no such workspace. */
export function findWorkspace(
  services: Services,
  accountId: string,
  workspaceId: string,
): Promise<Workspace | undefined> {
  return storeOf(services).tenancy.getWorkspace(accountId, workspaceId);
}

/** The context of the account-scope event routes; 404 for an unknown account. */
export async function accountEventsContext(
  services: Services,
  accountId: string,
  origin: string,
): Promise<EventsContext> {
  if (!(await storeOf(services).tenancy.getAccount(accountId))) throw notFound('Account');
  const scope = { kind: 'account' as const, accountId };
  return { services, scope, family: 'cloud', rootUrl: origin + scopeRootPath(scope, 'cloud') };
}

/**
 * Every workspace of this server with its account, the default one first; under `--auth` those
 * the caller's key reaches.
 */
export async function listAccountWorkspaces(services: Services, caller?: Caller): Promise<Record<string, unknown>[]> {
  const { account } = services.defaults;
  const all = (await storeOf(services).tenancy.listWorkspaces(caller?.key.accountId)).filter(
    (ws) => !caller || reachesWorkspace(caller, ws),
  );
  const accounts = new Map([[account.id, account]]);
  const out: Record<string, unknown>[] = [];
  for (const ws of all) {
    let a = accounts.get(ws.accountId);
    if (!a) {
      a = await storeOf(services).tenancy.getAccount(ws.accountId);
      if (!a) continue;
      accounts.set(a.id, a);
    }
    out.push(renderAccountWorkspace(a, ws));
  }
  return out;
}

export interface WorkspaceCreate {
  name: string;
  handle: string;
  description?: string;
}

/** Creates a workspace in an existing account (404 for an unknown one). */
export async function createWorkspace(services: StoreServices, accountId: string, input: WorkspaceCreate) {
  const account = await storeOf(services).tenancy.getAccount(accountId);
  if (!account) throw notFound('Account');
  const ws = await storeOf(services).tenancy.createWorkspace({
    accountId,
    name: input.name,
    handle: input.handle,
    description: input.description ?? null,
  });
  return { ...renderAccountWorkspace(account, ws), id: ws.id, name: ws.name, handle: ws.handle };
}

/** The workspaces a start-up option names: the one with this id, or every one with this handle. */
export async function workspacesNamed(services: StoreServices, ref: string): Promise<Workspace[]> {
  const id = normalizeUuid(ref);
  return (await storeOf(services).tenancy.listWorkspaces()).filter((w) => w.id === id || w.handle === ref);
}
