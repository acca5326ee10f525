/**
 * Every workload, in run order. Later workloads add themselves here; a workload that needs the
 * shared log dataset loads the missing part itself, so `--only` works for each of them.
 */
import type { Workload } from '../lib/context.ts';
import { agentTools } from './agent-tools.ts';
import { eventsIngest } from './events-ingest.ts';
import { eventsQueries } from './events-queries.ts';
import { flowRunLogs } from './flow-run-logs.ts';
import { liveTail } from './live-tail.ts';
import { logsFilter } from './logs-filter.ts';
import { logsIngest } from './logs-ingest.ts';
import { logsIngestInstances } from './logs-ingest-instances.ts';
import { logsText } from './logs-text.ts';
import { management } from './management.ts';
import { migrate } from './migrate.ts';
import { otlpIngest } from './otlp-ingest.ts';
import { retention } from './retention.ts';
import { tracesPage, tracesRecorder } from './traces.ts';
import { webUi } from './web-ui.ts';

/** Run only when asked for (`--ui`, `--retention`, `--migrate`, `--only`): they take long, need Chromium or start their own PostgreSQL. */
export const onRequest: Workload[] = [webUi, retention, migrate];
export { webUi };

export const workloads: Workload[] = [
  logsIngest,
  logsFilter,
  logsText,
  flowRunLogs,
  logsIngestInstances,
  eventsIngest,
  eventsQueries,
  tracesRecorder,
  tracesPage,
  otlpIngest,
  liveTail,
  management,
  agentTools,
  webUi,
  retention,
  migrate,
];
