/**
 * The response schemas of `/api/openapi.json` hold for real answers: every documented GET and
 * POST is called on both path families of a seeded workspace and must succeed with a body its
 * document declares; then every path is called with ids that do not exist and bodies that are not
 * valid, and whatever it answers must be a status it documents, with that status's body. A schema
 * that drifts from what a route sends fails here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { eventually } from './helpers/browser.ts';
import { forEachEngine } from './helpers/engines.ts';
import { logItem } from './helpers/logs.ts';
import { documentShapeErrors } from './helpers/openapi-shape.ts';
import { startServer, type TestServer } from './helpers/server.ts';

type Json = any;

/** A documented operation that never succeeds: the 422 is its only answer (on both path families). */
const NEVER_SUCCEEDS = /\/csrf-token$/;

const NOW = new Date().toISOString();

/** Bodies of the operations that need one (keyed by the end of their path); `{}` for the others. */
function bodyFor(path: string, ids: Record<string, string>): unknown {
  const bodies: [RegExp, () => unknown][] = [
    [/\/flows\/$/, () => ({ name: 'etl' })],
    [/\/flow_runs\/$/, () => ({ flow_id: ids.flow })],
    [/\/task_runs\/$/, () => ({ flow_run_id: ids.flow_run, task_key: 'extract', dynamic_key: '0' })],
    [/\/flow_runs\/\{id\}\/set_state$/, () => ({ state: { type: 'FAILED', message: 'boom' } })],
    [/\/task_runs\/\{id\}\/set_state$/, () => ({ state: { type: 'COMPLETED' } })],
    [/\/artifacts\/$/, () => ({ key: 'report', type: 'markdown', data: '# hi', flow_run_id: ids.flow_run })],
    [/\/logs\/$/, () => [logItem({ flow_run_id: ids.flow_run, timestamp: NOW })]],
    [/\/events$/, () => [event(ids.flow_run)]],
    [/\/count-by\/\{countable\}$/, () => ({ filter: {} })],
    [/\/agent\/(diagnose-flow-run|tail-logs|compare-flow-runs|get-trace-tree)$/, () => ({ flow_run_id: ids.flow_run })],
    [/\/state-changes$/, () => ({ span_ids: [ids.span] })],
    [/increment-with-lease$/, () => ({ slots: 1, names: ['db'] })],
    [/\/log-counts$/, () => ({ flow_run_ids: [ids.flow_run] })],
    [/\/log-position$/, () => ({ log_id: ids.log })],
    [/\/count-task-runs$/, () => ({ flow_run_ids: [ids.flow_run] })],
    [/\/ui\/flows\//, () => ({ flow_ids: [ids.flow] })],
    [/\/dashboard\/counts$/, () => ({ task_runs: { start_time: { after_: '2020-01-01T00:00:00Z' } } })],
    [
      /\/(flow|task)_runs\/history$/,
      () => ({ history_start: '2020-01-01T00:00:00Z', history_end: NOW, history_interval_seconds: 86_400 * 365 }),
    ],
    [/\/workspaces\/$/, () => ({ name: 'Second', handle: `second-${randomUUID().slice(0, 8)}` })],
    [/\/sightline\/webhooks$/, () => ({ url: 'http://127.0.0.1:9/hook' })],
  ];
  return bodies.find(([re]) => re.test(path))?.[1]() ?? {};
}

function event(flowRunId: string): Record<string, unknown> {
  return {
    id: randomUUID(),
    occurred: NOW,
    event: 'prefect.flow-run.Failed',
    resource: { 'prefect.resource.id': `prefect.flow-run.${flowRunId}` },
    related: [{ 'prefect.resource.id': 'prefect.flow.x', 'prefect.resource.role': 'flow' }],
    payload: { n: 1 },
  };
}

/** The value of each path parameter, by its name and the path it is in. */
function fill(path: string, ids: Record<string, string>): string {
  return path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    if (name === 'id') {
      const kind = /\/(flow_runs|task_runs|artifacts|flows|flow_run_states|task_run_states|webhooks)\/\{id\}/.exec(
        path,
      )?.[1];
      const byKind: Record<string, string> = {
        flow_runs: ids.flow_run,
        task_runs: ids.task_run,
        artifacts: ids.artifact,
        flows: ids.flow,
        flow_run_states: ids.flow_run_state,
        task_run_states: ids.task_run_state,
        webhooks: ids.webhook,
      };
      assert.ok(kind, `no id for ${path}`);
      return byKind[kind];
    }
    const byName: Record<string, string> = {
      account_id: ids.account,
      workspace_id: ids.workspace,
      trace_id: ids.trace,
      span_id: ids.span,
      run_id: ids.flow_run,
      // Only a run that has not finished can be stopped.
      flow_run: path.endsWith('/stop') ? ids.live_run : ids.flow_run,
      flow_run_log: ids.log,
      download: ids.download,
      token: ids.token,
      countable: 'event',
    };
    assert.ok(byName[name], `no value for {${name}} in ${path}`);
    return byName[name];
  });
}

/** The required query parameters of `op`, with their values. */
function query(path: string, op: Json, ids: Record<string, string>): string {
  const byName: Record<string, string> = {
    flow_run_id: ids.flow_run,
    task_run_id: ids.task_run,
    ids: ids.span,
    'page-token': /^\/api\/accounts\/\{account_id\}\/events/.test(path) ? ids.account_page : ids.page,
  };
  const q = new URLSearchParams();
  for (const p of op.parameters ?? [])
    if (p.in === 'query' && p.required) {
      assert.ok(byName[p.name], `no value for ?${p.name} of ${path}`);
      q.set(p.name, byName[p.name]);
    }
  // The management API's relationships, so that their schemas are checked too.
  if (/\/v1\/flow-runs(\/\{flow_run\})?$/.test(path))
    q.set('include', 'flow,flowRunLogs.flowStep,errorWarningLogs,retriedFlowRun');
  if (path.includes('/flow-run-logs')) q.set('include', 'flowRun,flowStep');
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Checks one answer against what the operation documents for its status; returns the status. */
function conforms(doc: Json, op: Json, what: string, r: Json): number {
  const declared = op.responses[String(r.statusCode)];
  assert.ok(declared, `${what} answered ${r.statusCode}, which it does not document: ${r.body.slice(0, 300)}`);
  const types = Object.keys(declared.content ?? {});
  if (!types.length) {
    assert.equal(r.body, '', `${what} → ${r.statusCode} documents no body`);
    return r.statusCode;
  }
  const type = String(r.headers['content-type']);
  assert.ok(
    types.some((t) => type.startsWith(t.split(';')[0])),
    `${what} → ${r.statusCode} sent ${type}; documented ${types}`,
  );
  const schema = declared.content['application/json']?.schema;
  if (schema) {
    const errors = documentShapeErrors(doc, JSON.parse(r.body), schema);
    assert.deepEqual(errors, [], `${what} → ${r.statusCode}: ${r.body.slice(0, 500)}`);
  }
  return r.statusCode;
}

forEachEngine('response schemas of /api/openapi.json', (engine) => {
  let s: TestServer;
  let doc: Json;
  const ids: Record<string, string> = {};

  const call = async (method: string, url: string, body?: unknown) => {
    const r = await s.request(method as 'GET', url, body);
    assert.ok(r.statusCode < 300, `${method} ${url} → ${r.statusCode} ${r.body}`);
    return r.body ? JSON.parse(r.body) : undefined;
  };

  before(async () => {
    s = await startServer(engine);
    doc = JSON.parse((await s.request('GET', '/api/openapi.json')).body);
    ids.account = s.accountId;
    ids.workspace = s.workspaceId;
    ids.flow = (await call('POST', s.oss('/flows/'), { name: 'etl', tags: ['nightly'] })).id;
    const run = await call('POST', s.oss('/flow_runs/'), { flow_id: ids.flow, name: 'run-1', parameters: { n: 1 } });
    ids.flow_run = run.id;
    ids.live_run = (await call('POST', s.oss('/flow_runs/'), { flow_id: ids.flow, name: 'run-2' })).id;
    ids.task_run = (
      await call('POST', s.oss('/task_runs/'), { flow_run_id: ids.flow_run, task_key: 'extract', dynamic_key: '0' })
    ).id;
    for (const [kind, id, type] of [
      ['flow_runs', ids.flow_run, 'RUNNING'],
      ['task_runs', ids.task_run, 'RUNNING'],
      ['task_runs', ids.task_run, 'COMPLETED'],
      ['flow_runs', ids.flow_run, 'FAILED'],
    ])
      await call('POST', s.oss(`/${kind}/${id}/set_state`), { state: { type } });
    await call(
      'POST',
      s.oss('/logs/'),
      [20, 30, 40].map((level, i) =>
        logItem({ level, flow_run_id: ids.flow_run, task_run_id: i ? ids.task_run : null, timestamp: NOW }),
      ),
    );
    await call('POST', s.oss('/events'), [event(ids.flow_run), event(ids.flow_run)]);
    await call('POST', `/api/accounts/${ids.account}/events`, [event(ids.flow_run), event(ids.flow_run)]);
    const pageToken = (next: string) => new URL(next).searchParams.get('page-token') as string;
    ids.page = pageToken((await call('POST', s.oss('/events/filter'), { limit: 1 })).next_page);
    ids.account_page = pageToken(
      (await call('POST', `/api/accounts/${ids.account}/events/filter`, { limit: 1 })).next_page,
    );
    ids.artifact = (await call('POST', s.oss('/artifacts/'), bodyFor('/artifacts/', ids))).id;
    ids.flow_run_state = (await call('GET', s.oss(`/flow_run_states/?flow_run_id=${ids.flow_run}`)))[0].id;
    ids.task_run_state = (await call('GET', s.oss(`/task_run_states/?task_run_id=${ids.task_run}`)))[0].id;
    ids.log = (await call('GET', s.oss(`/flow_runs/${ids.flow_run}/logs`)))[0].id;
    const span = await eventually(async () => call('GET', s.oss(`/spans/lookup/${ids.flow_run}`)));
    ids.trace = span.trace_id;
    ids.span = span.span_id;
    ids.token = (await call('POST', s.oss(`/sightline/flow_runs/${ids.flow_run}/download-link`), {})).url
      .split('/')
      .pop();
    ids.webhook = (await call('POST', s.oss('/sightline/webhooks'), bodyFor('/sightline/webhooks', ids))).id;
    ids.download = (await call('GET', s.oss(`/v1/flow-runs/${ids.flow_run}/download`))).data.id;
    await eventually(async () => {
      const job = await call('GET', s.oss(`/v1/file-downloads/${ids.download}`));
      assert.equal(job.data.status, 'completed');
    });
  });
  after(() => s?.close());

  it('every documented GET and POST succeeds with a body its document declares, on both path families', async () => {
    let checked = 0;
    for (const [path, ops] of Object.entries<Json>(doc.paths))
      for (const method of ['get', 'post'] as const) {
        const op = ops[method];
        if (!op) continue;
        const url = fill(path, ids) + query(path, op, ids);
        const r = await s.request(
          method.toUpperCase() as 'GET',
          url,
          method === 'post' ? bodyFor(path, ids) : undefined,
        );
        const status = conforms(doc, op, `${method.toUpperCase()} ${path}`, r);
        if (!NEVER_SUCCEEDS.test(path))
          assert.ok(status >= 200 && status < 300, `${method.toUpperCase()} ${path} → ${status}: ${r.body}`);
        checked++;
      }
    assert.ok(checked > 150, `only ${checked} operations`);
  });

  it('unknown ids and invalid bodies answer a status each operation documents, in its error shape', async () => {
    const unknown = Object.fromEntries(Object.keys(ids).map((k) => [k, randomUUID()]));
    Object.assign(unknown, { account: ids.account, workspace: ids.workspace, token: 'not-a-token' });
    const statuses = new Set<number>();
    for (const [path, ops] of Object.entries<Json>(doc.paths))
      for (const method of ['get', 'post'] as const) {
        const op = ops[method];
        if (!op) continue;
        const what = `${method.toUpperCase()} ${path}`;
        if (path.includes('{')) {
          const r = await s.request(
            method.toUpperCase() as 'GET',
            fill(path, unknown),
            method === 'post' ? bodyFor(path, ids) : undefined,
          );
          statuses.add(conforms(doc, op, `${what} (unknown ids)`, r));
        }
        if (op.requestBody) {
          const r = await s.request('POST', fill(path, ids), '"not an object"');
          statuses.add(conforms(doc, op, `${what} (invalid body)`, r));
        }
      }
    // The error shapes were met: not found, validation, and a refused token.
    for (const status of [403, 404, 422]) assert.ok(statuses.has(status), `no ${status} among ${[...statuses]}`);
  });
});
