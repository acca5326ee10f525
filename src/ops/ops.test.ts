/**
 * Operations through the store contract, on both engines: the services as the composition root
 * builds them (real writers, a real store), without HTTP in between.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../../test/helpers/engines.ts';
import type { ServeConfig } from '../config/schema.ts';
import { AppError, parseOrThrow } from '../domain/errors.ts';
import { uuid7 } from '../domain/ids.ts';
import { flowRunCreateSchema, setStateBodySchema } from '../domain/runs/flow-runs.ts';
import { flowCreateSchema } from '../domain/runs/flows.ts';
import type { Workspace } from '../domain/tenancy.ts';
import { createEventWriter } from '../ingest/event-writer.ts';
import type { GroupCommit } from '../ingest/group-commit.ts';
import { createLogWriter } from '../ingest/log-writer.ts';
import { createOtelWriter } from '../ingest/otel-writer.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/open.ts';
import { Keyring } from './access/keyring.ts';
import { RateLimits } from './access/rate-limits.ts';
import { type OpContext, type Services, withStore } from './context.ts';
import { filterEvents, filterEventsSchema } from './events/filter-events.ts';
import { receiveLogs } from './logs/create-logs.ts';
import { filterLogs, filterLogsSchema } from './logs/filter-logs.ts';
import { flowRunLogs, flowRunLogsQuerySchema } from './logs/flow-run-logs.ts';
import { eventWriterSink } from './runs/event-sink.ts';
import { createFlowRun } from './runs/flow-runs.ts';
import { createFlow } from './runs/flows.ts';
import { setFlowRunState } from './runs/set-state.ts';
import { createWorkspace, listAccountWorkspaces } from './tenancy/accounts.ts';

const log = (flowRunId: string, message: string) => ({
  name: 'ops.test',
  level: 20,
  message,
  timestamp: Date.UTC(2026, 0, 1) * 1000,
  flow_run_id: flowRunId,
});

forEachEngine('operations', (engine) => {
  let store: Store;
  let services: Services;
  let writers: GroupCommit<unknown>[];
  let ctx: OpContext;
  let other: OpContext;

  before(async () => {
    store = await openStore({ url: await engine.newDatabaseUrl() });
    const defaults = await store.tenancy.ensureDefaults();
    const logWriter = createLogWriter(store);
    const eventWriter = createEventWriter(store);
    const otelWriter = createOtelWriter(store);
    writers = [logWriter, eventWriter, otelWriter] as GroupCommit<unknown>[];
    services = withStore<Services>(
      {
        config: { 'live-queue': 100 } as unknown as ServeConfig,
        logWriter,
        eventWriter,
        otelWriter,
        liveLogs: undefined as never,
        defaults,
        tokenSecret: 'ops test secret, long enough to sign tokens',
        eventSink: eventWriterSink(eventWriter),
        keyring: new Keyring(store.keys, { error: () => {} }),
        limits: new RateLimits({ 'rate-limit-requests': 0, 'rate-limit-items': 0, 'auth-fail-limit': 0 }),
        log: { error: () => {} },
      },
      store,
    );
    ctx = { services, workspace: defaults.workspace, family: 'oss' };
    const ws = await store.tenancy.createWorkspace({
      accountId: defaults.account.id,
      name: 'other',
      handle: 'ops-other',
      description: null,
    });
    other = { services, workspace: ws as Workspace, family: 'cloud' };
  });
  after(async () => {
    for (const w of writers) await w.close();
    await store.close();
  });

  it('receives logs through the writer; reads see them in their workspace only', async () => {
    const run = uuid7();
    await receiveLogs(services.logWriter, ctx.workspace.id, [log(run, 'one'), log(run, 'two')]);
    const filter = parseOrThrow(filterLogsSchema('oss'), { logs: { flow_run_id: { any_: [run] } } }, ['body']);
    assert.deepEqual(
      (await filterLogs(ctx, filter)).map((l) => l.message),
      ['one', 'two'],
    );
    assert.deepEqual(await filterLogs(other, { ...filter }), []);
  });

  it("answers a flow run's logs page, and only its ETag when the caller already holds it", async () => {
    const run = uuid7();
    await receiveLogs(services.logWriter, ctx.workspace.id, [log(run, 'a')]);
    const q = parseOrThrow(flowRunLogsQuerySchema, {}, ['query']);
    const first = await flowRunLogs(ctx, run, q);
    assert.equal(first.rows?.length, 1);
    const again = await flowRunLogs(ctx, run, q, (etag) => etag === first.etag);
    assert.deepEqual(again, { etag: first.etag });
    await receiveLogs(services.logWriter, ctx.workspace.id, [log(run, 'b')]);
    const changed = await flowRunLogs(ctx, run, q, (etag) => etag === first.etag);
    assert.notEqual(changed.etag, first.etag);
    assert.equal(changed.rows?.length, 2);
  });

  it('records the flow-run state event the server emits, as a stored event of the workspace', async () => {
    const { flow } = await createFlow(ctx, parseOrThrow(flowCreateSchema, { name: 'ops-flow' }, ['body']));
    const { run } = await createFlowRun(
      ctx,
      parseOrThrow(flowRunCreateSchema, { flow_id: flow.id, name: 'ops-run' }, ['body']),
    );
    const r = await setFlowRunState(
      ctx,
      run.id,
      parseOrThrow(setStateBodySchema, { state: { type: 'RUNNING' } }, ['body']),
    );
    assert.equal(r.httpStatus, 201);
    const page = await filterEvents(
      {
        services,
        scope: { kind: 'workspace', accountId: ctx.workspace.accountId, workspaceId: ctx.workspace.id },
        family: 'oss',
        rootUrl: 'http://x/api',
      },
      parseOrThrow(filterEventsSchema('oss'), { filter: { resource: { id: [`prefect.flow-run.${run.id}`] } } }, [
        'body',
      ]),
    );
    const names = page.events.map((e) => (e as { event: string }).event);
    assert.ok(names.includes('prefect.flow-run.Running'), names.join(', '));
    const running = page.events.find((e) => (e as { event: string }).event === 'prefect.flow-run.Running') as {
      resource: Record<string, string>;
    };
    assert.equal(running.resource['prefect.resource.name'], 'ops-run');
  });

  it('creates workspaces in known accounts only, and lists them with their account', async () => {
    await assert.rejects(
      createWorkspace(services, uuid7(), { name: 'x', handle: 'x' }),
      (e) => e instanceof AppError && e.code === 'not_found',
    );
    const made = await createWorkspace(services, ctx.workspace.accountId, { name: 'Made', handle: 'ops-made' });
    const all = await listAccountWorkspaces(services);
    assert.equal(all[0].workspace_id, ctx.workspace.id);
    assert.ok(all.some((w) => w.workspace_id === made.id && w.workspace_handle === 'ops-made'));
  });
});
