/** A workspace's own retention settings (`sightline workspaces set-retention`), stored in the database. */
import { AppError, notFound } from '../../domain/errors.ts';
import { normalizeUuid } from '../../domain/ids.ts';
import { RETENTION_KINDS, type WorkspaceRetention } from '../../domain/retention.ts';
import type { Workspace } from '../../domain/tenancy.ts';
import { findAccount, findAccountWorkspace } from '../access/admin.ts';
import { type StoreServices, storeOf } from '../context.ts';

/** A workspace named by id, or by handle (in `accountRef`'s account, else in any account where it is unique). */
export async function findWorkspace(services: StoreServices, ref: string, accountRef?: string): Promise<Workspace> {
  if (accountRef !== undefined) return findAccountWorkspace(services, await findAccount(services, accountRef), ref);
  const all = await storeOf(services).tenancy.listWorkspaces();
  const id = normalizeUuid(ref);
  const hits = all.filter((w) => w.id === id || w.handle === ref);
  if (hits.length > 1)
    throw new AppError('invalid_input', `Workspace handle '${ref}' is used in several accounts: name the account too`);
  if (hits.length === 0) throw notFound(`Workspace '${ref}'`);
  return hits[0];
}

/**
 * Changes the given kinds of a workspace's settings (seconds, 0 = forever; null = follow the
 * server's flags again) and returns the settings now stored.
 */
export async function setWorkspaceRetention(
  services: StoreServices,
  workspaceId: string,
  change: Partial<WorkspaceRetention>,
): Promise<WorkspaceRetention> {
  const store = storeOf(services);
  const current = (await store.retention.settings(workspaceId)) ?? { logs: null, events: null, runs: null };
  const next = { ...current };
  for (const k of RETENTION_KINDS) if (change[k] !== undefined) next[k] = change[k];
  await store.retention.setSettings(workspaceId, next);
  return next;
}
