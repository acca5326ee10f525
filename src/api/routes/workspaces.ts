/** Account and workspace routes, shaped as Prefect Cloud's. */
import { AppError, notFound } from '../../domain/errors.ts';
import { normalizeUuid } from '../../domain/ids.ts';
import { object, optional, parseOrThrow, str } from '../../domain/schema.ts';
import { renderAccountWorkspace } from '../../domain/tenancy.ts';
import type { Services } from '../../ops/context.ts';
import type { FixedRouteDef } from '../router.ts';

const HANDLE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const workspaceCreateSchema = object({
  name: str({ min: 1, max: 100 }),
  handle: str({
    min: 1,
    max: 100,
    pattern: HANDLE,
    patternHint: 'Handle must be lowercase letters, digits and single hyphens',
  }),
  description: optional(str({ max: 1000 })),
});

/** These routes live outside the two path families (they address accounts, not one workspace). */
export const workspaceRoutes = (services: Services): FixedRouteDef[] => [
  {
    method: 'GET',
    url: '/api/me/workspaces',
    tag: 'Workspaces',
    summary:
      "Every workspace of this server, with its account (Cloud's `/me/workspaces`; the first is the default one).",
    handler: async () => {
      const { account } = services.defaults;
      const all = await services.store.tenancy.listWorkspaces();
      const accounts = new Map([[account.id, account]]);
      const out = [];
      for (const ws of all) {
        let a = accounts.get(ws.accountId);
        if (!a) {
          a = await services.store.tenancy.getAccount(ws.accountId);
          if (!a) continue;
          accounts.set(a.id, a);
        }
        out.push(renderAccountWorkspace(a, ws));
      }
      return out;
    },
  },
  {
    method: 'POST',
    url: '/api/accounts/:account_id/workspaces/',
    tag: 'Workspaces',
    summary: 'Create a workspace in an account (201).',
    body: workspaceCreateSchema,
    status: 201,
    handler: async (req, reply) => {
      const accountId = normalizeUuid((req.params as { account_id: string }).account_id);
      if (!accountId) throw new AppError('route_not_found', 'Not Found');
      const account = await services.store.tenancy.getAccount(accountId);
      if (!account) throw notFound('Account');
      const input = parseOrThrow(workspaceCreateSchema, req.body, ['body']);
      const ws = await services.store.tenancy.createWorkspace({
        accountId,
        name: input.name,
        handle: input.handle,
        description: input.description ?? null,
      });
      return reply
        .code(201)
        .send({ ...renderAccountWorkspace(account, ws), id: ws.id, name: ws.name, handle: ws.handle });
    },
  },
];
