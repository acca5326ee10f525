/** Every route of the native API, in registration order. Each resource adds its own list here. */
import type { FixedRouteDef, RouteDef } from '../router.ts';
import type { WsRouteDef } from '../websocket.ts';
import { accountEventRoutes } from './account-events.ts';
import { agentRoutes } from './agent.ts';
import { artifactRoutes } from './artifacts.ts';
import { eventRoutes } from './events.ts';
import { eventsInRoute, eventsOutRoute } from './events-ws.ts';
import { flowRunLogRoutes } from './flow-run-logs.ts';
import { flowRunRoutes } from './flow-runs.ts';
import { flowRoutes } from './flows.ts';
import { logRoutes } from './logs.ts';
import { logsOutRoute } from './logs-out.ts';
import { managementRoutes } from './management.ts';
import { observedLoggerRoutes } from './observed-loggers.ts';
import { prefectUiRoutes } from './prefect-ui.ts';
import { retentionRoutes } from './retention.ts';
import { rootRoutes } from './root.ts';
import { runSupportRoutes } from './run-support.ts';
import { sightlineUiFixedRoutes, sightlineUiRoutes } from './sightline-ui.ts';
import { taskRunRoutes } from './task-runs.ts';
import { traceRoutes } from './traces.ts';
import { webhookRoutes } from './webhooks.ts';
import { workspaceRoutes } from './workspaces.ts';

export const apiRoutes: RouteDef[] = [
  ...rootRoutes,
  ...retentionRoutes,
  ...logRoutes,
  ...flowRunLogRoutes,
  ...observedLoggerRoutes,
  ...flowRoutes,
  ...flowRunRoutes,
  ...taskRunRoutes,
  ...artifactRoutes,
  ...runSupportRoutes,
  ...eventRoutes,
  ...traceRoutes,
  ...managementRoutes,
  ...agentRoutes,
  ...prefectUiRoutes,
  ...sightlineUiRoutes,
  ...webhookRoutes,
];

/** Routes outside the two path families: they address an account, or the caller. */
export const fixedRoutes: FixedRouteDef[] = [...workspaceRoutes, ...accountEventRoutes, ...sightlineUiFixedRoutes];

/** Every websocket route of the native API. */
export const wsRoutes: WsRouteDef[] = [logsOutRoute, eventsInRoute, eventsOutRoute];
