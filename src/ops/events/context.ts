/** What event operations run with: the scope they read (a workspace or a whole account). */
import type { EventScope, EventTenant } from '../../domain/events.ts';
import type { OpContext, PathFamily, Services } from '../context.ts';

export interface EventsContext {
  readonly services: Services;
  readonly scope: EventScope;
  readonly family: PathFamily;
  /**
   * Absolute URL of the API root the request addressed (`…/api`, `…/api/accounts/{a}/workspaces/{w}`
   * or `…/api/accounts/{a}`): links such as `next_page` stay on the same family and scope.
   */
  readonly rootUrl: string;
}

export function workspaceScope(ctx: OpContext): EventScope {
  return { kind: 'workspace', accountId: ctx.workspace.accountId, workspaceId: ctx.workspace.id };
}

export function eventsContext(ctx: OpContext, rootUrl: string): EventsContext {
  return { services: ctx.services, scope: workspaceScope(ctx), family: ctx.family, rootUrl };
}

/** The tenant new events of a scope belong to. */
export function tenantOf(scope: EventScope): EventTenant {
  return { accountId: scope.accountId, workspaceId: scope.kind === 'workspace' ? scope.workspaceId : null };
}

export function scopeRootPath(scope: EventScope, family: PathFamily): string {
  if (scope.kind === 'account') return `/api/accounts/${scope.accountId}`;
  return family === 'oss' ? '/api' : `/api/accounts/${scope.accountId}/workspaces/${scope.workspaceId}`;
}
