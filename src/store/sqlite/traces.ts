/** SQLite: traces. Flow runs are not recorded yet, so a trace is its root flow run. */
import type { TraceStore } from '../contract.ts';

export class SqliteTraces implements TraceStore {
  async flowRunIds(_workspaceId: string, traceId: string): Promise<string[]> {
    return [traceId];
  }
}
