/** Helpers for run tests: a client for the run routes and an event sink that keeps what it gets. */
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/domain/runs/run-events.ts';
import type { Workspace } from '../../src/domain/tenancy.ts';
import type { EventSink } from '../../src/ops/runs/event-sink.ts';
import type { TestServer } from './server.ts';

export class CapturingSink implements EventSink {
  readonly events: (RunEvent & { workspaceId: string })[] = [];

  async emit(workspace: Workspace, events: RunEvent[]): Promise<void> {
    for (const e of events) this.events.push({ ...e, workspaceId: workspace.id });
  }

  named(prefix: string): RunEvent[] {
    return this.events.filter((e) => e.event.startsWith(prefix));
  }
}

type Json = any;

/** Calls the run routes on one path family and asserts the expected status. */
export class RunClient {
  readonly s: TestServer;
  readonly path: (p: string) => string;

  constructor(s: TestServer, family: 'oss' | 'cloud' = 'oss') {
    this.s = s;
    this.path = family === 'oss' ? s.oss : (p) => s.cloud(p);
  }

  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', p: string, body: unknown, status: number): Promise<Json> {
    const r = await this.s.request(method, this.path(p), body);
    assert.equal(r.statusCode, status, `${method} ${p} → ${r.statusCode} ${r.body}`);
    return r.body ? r.json() : undefined;
  }

  flow(name = 'etl', extra: object = {}): Promise<Json> {
    return this.call('POST', '/flows/', { name, tags: [], labels: {}, ...extra }, 201);
  }

  async run(flowId?: string, extra: object = {}): Promise<Json> {
    const fid = flowId ?? (await this.flow(`flow-${Math.random().toString(36).slice(2)}`)).id;
    return this.call('POST', '/flow_runs/', { flow_id: fid, ...extra }, 201);
  }

  setState(
    id: string,
    type: string,
    extra: { name?: string; message?: string; state_details?: object; data?: unknown } = {},
    force = false,
    kind = 'flow_runs',
  ): Promise<Json> {
    const r = this.s.request('POST', this.path(`/${kind}/${id}/set_state`), { state: { type, ...extra }, force });
    return r.then((x) => {
      assert.ok(x.statusCode === 200 || x.statusCode === 201, `set_state → ${x.statusCode} ${x.body}`);
      return { ...x.json(), http: x.statusCode };
    });
  }

  getRun(id: string): Promise<Json> {
    return this.call('GET', `/flow_runs/${id}`, undefined, 200);
  }
}
