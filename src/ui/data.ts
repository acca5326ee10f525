/** Reads the pages share: flows by id (cached), runs' log counters. */
import { api } from './api.ts';

export interface FlowRun {
  id: string;
  name: string;
  flow_id: string;
  state_type: string | null;
  state_name: string | null;
  state: { message: string | null; type: string; name: string; timestamp: string } | null;
  start_time: string | null;
  end_time: string | null;
  expected_start_time: string | null;
  estimated_run_time: number;
  total_run_time: number;
  tags: string[];
  labels: Record<string, unknown>;
  parameters: Record<string, unknown>;
  parent_task_run_id: string | null;
  run_count: number;
  created: string;
}

export interface TaskRun {
  id: string;
  name: string;
  task_key: string;
  dynamic_key: string;
  flow_run_id: string | null;
  state_type: string | null;
  state_name: string | null;
  start_time: string | null;
  end_time: string | null;
  expected_start_time: string | null;
  estimated_run_time: number;
  run_count: number;
}

export interface Log {
  id: string;
  name: string;
  level: number;
  message: string;
  timestamp: string;
  flow_run_id: string | null;
  task_run_id: string | null;
}

export interface LogCounts {
  logs: number;
  warnings: number;
  errors: number;
}

const flowNames = new Map<string, string>();

/** Names of these flows (read once each). */
export async function loadFlowNames(ids: string[]): Promise<Map<string, string>> {
  const missing = [...new Set(ids)].filter((id) => !flowNames.has(id));
  for (let i = 0; i < missing.length; i += 200) {
    const part = missing.slice(i, i + 200);
    const flows = await api<{ id: string; name: string }[]>('POST', '/flows/filter', {
      flows: { id: { any_: part } },
      limit: 200,
    });
    for (const f of flows) flowNames.set(f.id, f.name);
  }
  return flowNames;
}

export function logCounts(ids: string[]): Promise<Record<string, LogCounts>> {
  return api('POST', '/sightline/flow_runs/log-counts', { flow_run_ids: ids });
}
