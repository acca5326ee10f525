/**
 * Administration: accounts, workspaces and API keys, as `sightline accounts|workspaces|keys` run
 * them against a store (also while servers use it). Accounts and workspaces are named by id or
 * handle. A new key's secret is returned once and never stored (only its SHA-256).
 */
import { type ApiKey, hashKey, KEY_PREFIX_LENGTH, type KeyScope, newKeySecret } from '../../domain/access.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import { normalizeUuid, uuid4 } from '../../domain/ids.ts';
import type { Account, Workspace } from '../../domain/tenancy.ts';
import { type Micros, nowMicros } from '../../domain/time.ts';
import { type StoreServices, storeOf } from '../context.ts';

/** An account named by its id or its handle; 404 otherwise. */
export async function findAccount(services: StoreServices, ref: string): Promise<Account> {
  const tenancy = storeOf(services).tenancy;
  const id = normalizeUuid(ref);
  const byId = id ? await tenancy.getAccount(id) : undefined;
  const account = byId ?? (await tenancy.listAccounts()).find((a) => a.handle === ref);
  if (!account) throw notFound(`Account '${ref}'`);
  return account;
}

/** A workspace of `account` named by its id or its handle; 404 otherwise. */
export async function findAccountWorkspace(services: StoreServices, account: Account, ref: string): Promise<Workspace> {
  const all = await storeOf(services).tenancy.listWorkspaces(account.id);
  const id = normalizeUuid(ref);
  const ws = all.find((w) => w.id === id || w.handle === ref);
  if (!ws) throw notFound(`Workspace '${ref}' in account '${account.handle}'`);
  return ws;
}

const HANDLE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A handle made of a name: lowercase letters and digits, single hyphens between. */
export function handleOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
}

export async function createAccount(
  services: StoreServices,
  input: { name: string; handle?: string },
): Promise<Account> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw new AppError('invalid_input', 'An account name is 1 to 100 characters');
  const handle = input.handle ?? handleOf(name);
  if (!HANDLE.test(handle) || handle.length > 100)
    throw new AppError(
      'invalid_input',
      `Invalid handle '${handle}': lowercase letters, digits and single hyphens, at most 100 characters`,
    );
  return storeOf(services).tenancy.createAccount({ name, handle });
}

export function listAccounts(services: StoreServices): Promise<Account[]> {
  return storeOf(services).tenancy.listAccounts();
}

/** Every workspace, or those of one account (by id or handle). */
export async function listWorkspaces(services: StoreServices, accountRef?: string): Promise<Workspace[]> {
  const account = accountRef === undefined ? undefined : await findAccount(services, accountRef);
  return storeOf(services).tenancy.listWorkspaces(account?.id);
}

export interface KeyCreate {
  account: string;
  /** Workspace ids or handles of the account; none = account-wide. */
  workspaces: readonly string[];
  scope: KeyScope;
  name?: string;
  expires: Micros | null;
  rateLimitRequests: number | null;
  rateLimitItems: number | null;
}

/** Creates a key; its secret is in the result and nowhere else. */
export async function createKey(services: StoreServices, input: KeyCreate): Promise<{ key: ApiKey; secret: string }> {
  const account = await findAccount(services, input.account);
  const workspaceIds: string[] = [];
  for (const ref of input.workspaces) {
    const ws = await findAccountWorkspace(services, account, ref);
    if (!workspaceIds.includes(ws.id)) workspaceIds.push(ws.id);
  }
  if (input.expires !== null && input.expires <= nowMicros())
    throw new AppError('invalid_input', 'The expiry of a new key must be in the future');
  const secret = newKeySecret();
  const key = await storeOf(services).keys.create({
    id: uuid4(),
    accountId: account.id,
    workspaceIds: workspaceIds.length ? workspaceIds : null,
    scope: input.scope,
    name: input.name ?? '',
    prefix: secret.slice(0, KEY_PREFIX_LENGTH),
    hash: hashKey(secret),
    expires: input.expires,
    rateLimitRequests: input.rateLimitRequests,
    rateLimitItems: input.rateLimitItems,
  });
  return { key, secret };
}

/** Every key (of one account, by id or handle). */
export async function listKeys(services: StoreServices, accountRef?: string): Promise<ApiKey[]> {
  const account = accountRef === undefined ? undefined : await findAccount(services, accountRef);
  return storeOf(services).keys.list(account?.id);
}

/** Revokes a key by id; every server refuses it within seconds (see `keyring.ts`). */
export async function revokeKey(services: StoreServices, id: string): Promise<ApiKey> {
  const keyId = normalizeUuid(id);
  const key = keyId ? await storeOf(services).keys.revoke(keyId, nowMicros()) : undefined;
  if (!key) throw notFound(`Key '${id}'`);
  return key;
}
