/**
 * The agent tools' workspace, seeded through the native API as Prefect's client would: flow
 * `nightly-etl` with ten completed runs, then a run whose subflow `load` fails in task
 * `write-rows` with a KeyError after two retries, at the end of a long log, with warnings from a
 * new logger, a changed parameter and a flaky task that needed a retry.
 */
type Json = any;

export interface NightlyEtl {
  flowId: string;
  completed: Json[];
  failed: Json;
  subflow: Json;
  tracking: Json;
  writeRows: Json;
  flaky: Json;
  extract: Json;
  /** The KeyError log (the last line of the subflow). */
  errorLogMessage: string;
  lines: number;
}

export const KEY_ERROR = "KeyError: 'customer_id'";
export const TRACEBACK = [
  'Encountered exception during execution:',
  'Traceback (most recent call last):',
  '  File "/app/flows/load.py", line 42, in write_rows',
  '    key = row["customer_id"]',
  '          ~~~^^^^^^^^^^^^^^^',
  KEY_ERROR,
].join('\n');
export const NEW_LOGGER = 'etl.schema';

export function client(base: string, headers: Record<string, string> = {}) {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const state = (kind: string, id: string, type: string, name?: string, message?: string) =>
    call('POST', `/${kind}/${id}/set_state`, { state: { type, name, message }, force: true });
  return { call, state };
}

let clock = Date.now() - 3_600_000;
/** Log timestamps strictly increasing (1 ms apart), an hour back. */
const tick = () => new Date(clock++).toISOString();

export async function seedNightlyEtl(
  base: string,
  opts: { lines: number; headers?: Record<string, string> },
): Promise<NightlyEtl> {
  const { call, state } = client(base, opts.headers);
  const logs = async (rows: Json[]) => {
    for (let i = 0; i < rows.length; i += 1000) await call('POST', '/logs/', rows.slice(i, i + 1000));
  };
  const log = (flow_run_id: string, level: number, name: string, message: string, task_run_id?: string) => ({
    flow_run_id,
    task_run_id,
    level,
    name,
    message,
    timestamp: tick(),
  });
  const flow = await call('POST', '/flows/', { name: 'nightly-etl' });
  const loadFlow = await call('POST', '/flows/', { name: 'load' });
  const task = (flow_run_id: string, key: string, name: string) =>
    call('POST', '/task_runs/', { flow_run_id, task_key: key, dynamic_key: '0', name });
  const completed: Json[] = [];
  for (let i = 0; i < 10; i++) {
    const run = await call('POST', '/flow_runs/', {
      flow_id: flow.id,
      name: `nightly-${i}`,
      parameters: { date: `2026-11-${String(20 + i).padStart(2, '0')}`, batch_size: 1000 },
      tags: ['nightly'],
    });
    await state('flow_runs', run.id, 'RUNNING');
    const t = await task(run.id, 'extract', 'extract-0');
    await state('task_runs', t.id, 'RUNNING');
    await logs([
      log(run.id, 20, 'prefect.flow_runs', `Beginning flow run 'nightly-${i}'`),
      log(run.id, 20, 'etl.extract', 'extracted 1000 rows', t.id),
    ]);
    await state('task_runs', t.id, 'COMPLETED');
    await state('flow_runs', run.id, 'COMPLETED');
    completed.push(await call('GET', `/flow_runs/${run.id}`));
  }

  const failed = await call('POST', '/flow_runs/', {
    flow_id: flow.id,
    name: 'nightly-failing',
    parameters: { date: '2026-12-01', batch_size: 500 },
    tags: ['nightly'],
  });
  await state('flow_runs', failed.id, 'RUNNING');
  const extract = await task(failed.id, 'extract', 'extract-0');
  await state('task_runs', extract.id, 'RUNNING');
  await state('task_runs', extract.id, 'COMPLETED');
  const flaky = await task(failed.id, 'fetch-source', 'fetch-source-0');
  await state('task_runs', flaky.id, 'RUNNING');
  await state('task_runs', flaky.id, 'SCHEDULED', 'AwaitingRetry', 'timeout talking to the source');
  await state('task_runs', flaky.id, 'RUNNING', 'Retrying');
  await state('task_runs', flaky.id, 'COMPLETED');
  const tracking = await task(failed.id, 'load', 'load-0');
  await state('task_runs', tracking.id, 'RUNNING');
  const subflow = await call('POST', '/flow_runs/', {
    flow_id: loadFlow.id,
    name: 'load-subflow',
    parent_task_run_id: tracking.id,
    parameters: { batch_size: 500 },
  });
  await state('flow_runs', subflow.id, 'RUNNING');
  const writeRows = await task(subflow.id, 'write-rows', 'write-rows-0');
  // The long log: the parent's lines, warnings from a logger the completed runs never used.
  const body: Json[] = [];
  const n = opts.lines - 3;
  for (let i = 0; i < n; i++) {
    if (i % 5000 === 4999) body.push(log(failed.id, 30, NEW_LOGGER, `column 'customer_id' missing in batch ${i}`));
    else body.push(log(failed.id, 20, 'etl.transform', `transformed row batch ${i + 1}`));
  }
  await logs(body);
  await state('task_runs', writeRows.id, 'RUNNING');
  await state('task_runs', writeRows.id, 'SCHEDULED', 'AwaitingRetry');
  await state('task_runs', writeRows.id, 'RUNNING', 'Retrying');
  await state('task_runs', writeRows.id, 'SCHEDULED', 'AwaitingRetry');
  await state('task_runs', writeRows.id, 'RUNNING', 'Retrying');
  await logs([
    log(subflow.id, 20, 'etl.load', 'writing 500 rows', writeRows.id),
    log(subflow.id, 40, 'prefect.task_runs', TRACEBACK, writeRows.id),
    log(subflow.id, 40, 'prefect.flow_runs', "Finished in state Failed('Flow run encountered an exception: KeyError')"),
  ]);
  const taskMessage = `Task run encountered an exception ${KEY_ERROR}`;
  await state('task_runs', writeRows.id, 'FAILED', undefined, taskMessage);
  await state('flow_runs', subflow.id, 'FAILED', undefined, 'Flow run encountered an exception: KeyError');
  await state('task_runs', tracking.id, 'FAILED', undefined, 'Flow run encountered an exception: KeyError');
  await state('flow_runs', failed.id, 'FAILED', undefined, '1/3 states failed.');
  const get = (kind: string, id: string) => call('GET', `/${kind}/${id}`);
  return {
    flowId: flow.id,
    completed,
    failed: await get('flow_runs', failed.id),
    subflow: await get('flow_runs', subflow.id),
    tracking: await get('task_runs', tracking.id),
    writeRows: await get('task_runs', writeRows.id),
    flaky: await get('task_runs', flaky.id),
    extract: await get('task_runs', extract.id),
    errorLogMessage: TRACEBACK,
    lines: opts.lines,
  };
}
