/** Shared fixtures for log tests: building `LogCreate` items and posting them. */
import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';

export const T0_ISO = '2024-05-01T12:00:00';

/** `2024-05-01T12:00:<s>.<ms>Z` for `i` milliseconds after T0 (i < 60,000). */
export function isoAt(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${T0_ISO.slice(0, 17)}${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}000Z`;
}

export interface LogInput {
  name?: string;
  level?: number;
  message?: string;
  timestamp?: string;
  flow_run_id?: string | null;
  task_run_id?: string | null;
}

export function logItem(over: LogInput = {}): Record<string, unknown> {
  return {
    name: 'prefect.flow_runs',
    level: 20,
    message: 'm',
    timestamp: isoAt(0),
    flow_run_id: null,
    task_run_id: null,
    ...over,
  };
}

export async function postLogs(server: TestServer, items: LogInput[], path = server.oss('/logs/')): Promise<void> {
  const res = await server.request('POST', path, items.map(logItem));
  assert.ok(res.statusCode === 201 || res.statusCode === 202, `POST /logs/ answered ${res.statusCode}: ${res.body}`);
}

/** The fields of a log as Prefect renders it, sorted. */
export const LOG_FIELDS = [
  'created',
  'flow_run_id',
  'id',
  'level',
  'message',
  'name',
  'task_run_id',
  'timestamp',
  'updated',
  'worker_id',
];
