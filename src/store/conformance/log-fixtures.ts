/** Logs and log queries for the conformance suite. */
import { uuid7 } from '../../domain/ids.ts';
import type { LogFilter, LogQuery, NewLog } from '../../domain/logs.ts';
import { T0 } from './run-fixtures.ts';

/** An INFO log of `prefect.flow_runs` at T0, on no run, with what `over` says instead. */
export function newLog(workspaceId: string, over: Partial<NewLog> = {}): NewLog {
  return {
    workspaceId,
    id: uuid7(),
    created: T0,
    name: 'prefect.flow_runs',
    level: 20,
    message: 'm',
    timestamp: T0,
    flow_run_id: null,
    task_run_id: null,
    worker_id: null,
    ...over,
  };
}

/** A query for `store.logs.filter`: all logs matching `filter`, oldest first, the first 200. */
export function logQuery(filter: Partial<LogFilter> = {}, over: Partial<LogQuery> = {}): LogQuery {
  return {
    filter: { operator: 'and_', ...filter } as LogFilter,
    sort: 'TIMESTAMP_ASC',
    limit: 200,
    offset: 0,
    ...over,
  };
}
