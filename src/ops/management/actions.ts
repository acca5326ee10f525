/**
 * Retry and stop, with honest semantics: Sightline runs no flows. A retry is a new SCHEDULED run
 * for an executor to pick up; a stop cancels what has not started and asks a running client to
 * abort (its next state proposal gets ABORT), the server setting CANCELLED after that or after
 * `--cancel-timeout` (`cancelOverdueRuns`). Every transition goes through orchestration.
 */
import { AppError, notFound } from '../../domain/errors.ts';
import { makeState, type StateType, TERMINAL_TYPES } from '../../domain/runs/states.ts';
import { STOPPED } from '../../domain/runs/stop.ts';
import { type Micros, nowMicros } from '../../domain/time.ts';
import { type OpContext, type Services, storeOf } from '../context.ts';
import { createFlowRun } from '../runs/flow-runs.ts';
import { setFlowRunState } from '../runs/set-state.ts';
import { getRun } from './runs.ts';

const IDEMPOTENCY_KEY_MAX = 200;
const NO_INCLUDES = new Set<never>();

export async function retryRun(
  ctx: OpContext,
  id: string,
  idempotencyKey: string | undefined,
  base: string,
): Promise<Record<string, unknown>> {
  const orig = await storeOf(ctx.services).flowRuns.get(ctx.workspace.id, id);
  if (!orig) throw notFound('Flow run');
  if (!orig.state_type || !TERMINAL_TYPES.has(orig.state_type))
    throw new AppError(
      'run_not_finished',
      `Only a finished run can be retried; this one is ${orig.state_type?.toLowerCase() ?? 'without a state'}`,
    );
  if (idempotencyKey !== undefined && idempotencyKey.length > IDEMPOTENCY_KEY_MAX)
    throw new AppError('invalid_parameter', `Invalid Idempotency-Key: at most ${IDEMPOTENCY_KEY_MAX} characters`, {
      details: { parameter: 'Idempotency-Key' },
    });
  // The trace parent is the original run's; the retry starts its own trace.
  const { __OTEL_TRACEPARENT: _, ...labels } = orig.labels;
  const { run } = await createFlowRun(
    ctx,
    {
      flow_id: orig.flow_id,
      state: makeState('SCHEDULED'),
      flow_version: orig.flow_version ?? undefined,
      parameters: orig.parameters,
      context: {},
      tags: orig.tags,
      labels,
      deployment_id: orig.deployment_id ?? undefined,
      work_pool_name: orig.work_pool_name ?? undefined,
      work_queue_name: orig.work_queue_name ?? undefined,
      job_variables: orig.job_variables ?? undefined,
      idempotency_key: idempotencyKey === undefined ? undefined : `sightline.retry:${id}:${idempotencyKey}`,
    },
    { retryOf: id },
  );
  return getRun(ctx, run.id, NO_INCLUDES, base);
}

const CANCEL_AT_ONCE: ReadonlySet<StateType> = new Set(['SCHEDULED', 'PENDING', 'PAUSED']);

export async function stopRun(ctx: OpContext, id: string, base: string): Promise<Record<string, unknown>> {
  const run = await storeOf(ctx.services).flowRuns.get(ctx.workspace.id, id);
  if (!run) throw notFound('Flow run');
  const type = run.state_type;
  if (type && TERMINAL_TYPES.has(type) && type !== 'CANCELLED')
    throw new AppError('run_finished', `The run has already finished (${type.toLowerCase()})`);
  await stopTree(ctx, id, 0);
  return getRun(ctx, id, NO_INCLUDES, base);
}

/** Subflows nest; a tree deeper than this is cut (each level is its own query). */
const MAX_DEPTH = 32;

async function stopTree(ctx: OpContext, id: string, depth: number): Promise<void> {
  const store = storeOf(ctx.services);
  const run = await store.flowRuns.get(ctx.workspace.id, id);
  const type = run?.state_type;
  if (!run || !type || TERMINAL_TYPES.has(type) || type === 'CANCELLING') return;
  const next = CANCEL_AT_ONCE.has(type) ? 'CANCELLED' : 'CANCELLING';
  await setFlowRunState(ctx, id, { state: makeState(next, { message: STOPPED }), force: true });
  if (depth >= MAX_DEPTH) return;
  for (const sub of await openSubflows(ctx, id)) await stopTree(ctx, sub, depth + 1);
}

/** The subflow runs of a run that have not finished. */
async function openSubflows(ctx: OpContext, id: string): Promise<string[]> {
  const subs = await storeOf(ctx.services).flowRuns.filter(ctx.workspace.id, {
    filters: {
      flow_runs: {
        operator: 'and_',
        parent_flow_run_id: { operator: 'and_', any_: [id] },
        state: { operator: 'and_', type: { not_any_: [...TERMINAL_TYPES] } },
      },
    },
    sort: 'ID_DESC',
    limit: 10_000,
    offset: 0,
    now: nowMicros(),
  });
  return subs.map((r) => r.id);
}

/**
 * Every run of the workspace left CANCELLING for longer than `timeout` becomes CANCELLED (no
 * client answered the stop). Compare-and-set writes make concurrent instances harmless: one
 * write wins, the others find the run CANCELLED. Returns how many runs it cancelled.
 */
export async function cancelOverdueRuns(ctx: OpContext, timeout: Micros): Promise<number> {
  const store = storeOf(ctx.services);
  const now = nowMicros();
  const overdue = await store.flowRuns.filter(ctx.workspace.id, {
    filters: { flow_runs: { operator: 'and_', state: { operator: 'and_', type: { any_: ['CANCELLING'] } } } },
    sort: 'ID_DESC',
    limit: 1000,
    offset: 0,
    now,
  });
  let n = 0;
  for (const run of overdue) {
    if (run.state_timestamp === null || run.state_timestamp > now - timeout) continue;
    const r = await setFlowRunState(ctx, run.id, { state: makeState('CANCELLED', { message: STOPPED }), force: true });
    if (r.httpStatus === 201) n++;
  }
  return n;
}

/**
 * Runs `cancelOverdueRuns` over every workspace, every half timeout (at most 5 s apart), until
 * stopped. A failed sweep is logged and retried on the next tick.
 */
export function startCancelSweeper(services: Services, timeoutSeconds: number): { stop(): Promise<void> } {
  const timeout = timeoutSeconds * 1_000_000;
  const every = Math.max(250, Math.min(5000, (timeoutSeconds * 1000) / 2));
  let running: Promise<void> | undefined;
  const sweep = async () => {
    try {
      for (const workspace of await storeOf(services).tenancy.listWorkspaces())
        await cancelOverdueRuns({ services, workspace, family: 'oss' }, timeout);
    } catch (err) {
      services.log.error({ err }, 'stopping overdue CANCELLING runs failed; retrying');
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, every);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
