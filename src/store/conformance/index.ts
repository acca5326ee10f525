/**
 * The store conformance suite: the contract of `store/contract.ts`, exercised the same way against
 * every engine. Each resource adds its own file and registers it here.
 */
import type { Store } from '../contract.ts';
import { changeFeedConformance } from './change-feed.ts';
import { eventDerivedConformance } from './event-derived.ts';
import { eventConformance } from './events.ts';
import { flowRunConformance } from './flow-runs.ts';
import { healthConformance } from './health.ts';
import { keyConformance } from './keys.ts';
import { logMatchConformance } from './log-match.ts';
import { logStatsConformance } from './log-stats.ts';
import { logConformance } from './logs.ts';
import { migrationConformance } from './migration.ts';
import { otelConformance } from './otel.ts';
import { otelLogsConformance } from './otel-logs.ts';
import { retentionConformance } from './retention.ts';
import { runHistoryConformance } from './run-history.ts';
import { runListConformance } from './run-list.ts';
import { spanConformance } from './spans.ts';
import { taskRunConformance } from './task-runs.ts';
import { tenancyConformance } from './tenancy.ts';
import { traceConformance } from './traces.ts';
import { webhookConformance } from './webhooks.ts';

export type OpenTestStore = () => Promise<Store>;

export function storeConformance(open: OpenTestStore): void {
  tenancyConformance(open);
  keyConformance(open);
  logConformance(open);
  changeFeedConformance(open);
  logStatsConformance(open);
  logMatchConformance(open);
  traceConformance(open);
  eventConformance(open);
  eventDerivedConformance(open);
  flowRunConformance(open);
  taskRunConformance(open);
  runHistoryConformance(open);
  runListConformance(open);
  spanConformance(open);
  otelConformance(open);
  otelLogsConformance(open);
  healthConformance(open);
  retentionConformance(open);
  webhookConformance(open);
  migrationConformance(open);
}
