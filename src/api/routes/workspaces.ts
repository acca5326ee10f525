/** Account and workspace routes, shaped as Prefect Cloud's. */
import { accountWorkspaceSchema, createdWorkspaceSchema } from '../../domain/tenancy.ts';
import { array, object, optional, str } from '../../lib/schema.ts';
import { createWorkspace, listAccountWorkspaces } from '../../ops/tenancy/accounts.ts';
import { callerOf } from '../access.ts';
import { type FixedRouteDef, fixedRoute } from '../router.ts';

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
export const workspaceRoutes: FixedRouteDef[] = [
  fixedRoute({
    method: 'GET',
    url: '/api/me/workspaces',
    tag: 'Workspaces',
    summary:
      "Every workspace of this server, with its account (Cloud's `/me/workspaces`; the first is the default one); under --auth, those the key reaches.",
    scope: 'read',
    response: array(accountWorkspaceSchema),
    handler: (services, _input, req) => listAccountWorkspaces(services, callerOf(req)),
  }),
  fixedRoute({
    method: 'POST',
    url: '/api/accounts/:account_id/workspaces/',
    tag: 'Workspaces',
    summary: 'Create a workspace in an account (201).',
    scope: 'admin',
    body: workspaceCreateSchema,
    status: 201,
    response: createdWorkspaceSchema,
    errors: [409],
    handler: async (services, { params, body }, _req, reply) =>
      reply.code(201).send(await createWorkspace(services, params.account_id, body)),
  }),
];
