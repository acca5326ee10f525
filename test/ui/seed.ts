/**
 * Seeds a running Sightline through its native API for the web UI tests and benchmark: flows,
 * runs in every finished and unfinished state (some with subflows and tags), and one run whose
 * logs cover every level, several loggers and tasks, ANSI colours, links and a traceback.
 */
type Json = any;

export interface Seeded {
  flows: { etl: Json; report: Json };
  runs: Json[];
  /** The run with many logs: `lines` of them, at a known level pattern (see `levelOf`). */
  big: { run: Json; tasks: Json[]; lines: number };
  subflow: Json;
}

/** The level of line `i` of the big run: every 50th a warning, every 200th an error, 1 in 10 debug. */
export function levelOf(i: number): number {
  if (i % 200 === 199) return 40;
  if (i % 50 === 49) return 30;
  if (i % 10 === 3) return 10;
  return 20;
}

/** The logger of line `i`. */
export const loggerOf = (i: number) => (i % 3 === 0 ? 'prefect.flow_runs' : i % 3 === 1 ? 'etl.extract' : 'etl.load');

/** The message of line `i` (some with ANSI colours, links or a traceback). */
export function messageOf(i: number): string {
  if (i === 7) return '\x1b[31mred alert\x1b[0m and \x1b[1;32mbold green\x1b[0m';
  if (i === 11) return 'see https://docs.prefect.io/v3/concepts for details';
  if (i === 199) return 'Traceback (most recent call last):\n  File "flow.py", line 3, in extract\nValueError: bad row';
  return `line ${i + 1} of the big run`;
}

export async function seed(base: string, opts: { lines: number; runs?: number }): Promise<Seeded> {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const state = (id: string, type: string, kind = 'flow_runs', message?: string) =>
    call('POST', `/${kind}/${id}/set_state`, { state: { type, message }, force: true });

  const etl = await call('POST', '/flows/', { name: 'etl-nightly' });
  const report = await call('POST', '/flows/', { name: 'report' });
  const runs: Json[] = [];
  const finals = ['COMPLETED', 'FAILED', 'COMPLETED', 'CRASHED', 'CANCELLED', 'RUNNING', 'COMPLETED', 'SCHEDULED'];
  for (let i = 0; i < (opts.runs ?? 16); i++) {
    const flow = i % 2 ? report : etl;
    const type = finals[i % finals.length];
    const run = await call('POST', '/flow_runs/', {
      flow_id: flow.id,
      name: `run-${String(i).padStart(3, '0')}`,
      tags: i % 4 === 0 ? ['nightly', 'prod'] : ['adhoc'],
      ...(type === 'SCHEDULED'
        ? {
            state: {
              type: 'SCHEDULED',
              state_details: { scheduled_time: new Date(Date.now() + 600_000).toISOString() },
            },
          }
        : {}),
    });
    if (type !== 'SCHEDULED') {
      await state(run.id, 'RUNNING');
      if (type !== 'RUNNING')
        await state(run.id, type, 'flow_runs', type === 'FAILED' ? 'Flow run failed: bad row' : undefined);
    }
    runs.push({ ...run, final: type });
  }

  // The big run: three tasks (one mapped twice) and a subflow.
  const big = await call('POST', '/flow_runs/', { flow_id: etl.id, name: 'big-run', tags: ['big'] });
  await state(big.id, 'RUNNING');
  const tasks: Json[] = [];
  for (const [key, dyn] of [
    ['extract', '0'],
    ['transform', '0'],
    ['transform', '1'],
    ['load', '0'],
  ]) {
    const t = await call('POST', '/task_runs/', {
      flow_run_id: big.id,
      task_key: key,
      dynamic_key: dyn,
      name: `${key}-${dyn}`,
      state: { type: 'PENDING' },
    });
    await state(t.id, 'RUNNING', 'task_runs');
    await state(t.id, 'COMPLETED', 'task_runs');
    tasks.push(t);
  }
  const tracker = await call('POST', '/task_runs/', {
    flow_run_id: big.id,
    task_key: 'child',
    dynamic_key: '0',
    name: 'child-0',
    state: { type: 'PENDING' },
  });
  const subflow = await call('POST', '/flow_runs/', {
    flow_id: report.id,
    name: 'child-run',
    parent_task_run_id: tracker.id,
  });
  await state(subflow.id, 'RUNNING');
  await state(subflow.id, 'COMPLETED');

  const t0 = Date.now() - opts.lines * 10;
  for (let from = 0; from < opts.lines; from += 5000) {
    const batch = [];
    for (let i = from; i < Math.min(opts.lines, from + 5000); i++)
      batch.push({
        name: loggerOf(i),
        level: levelOf(i),
        message: messageOf(i),
        timestamp: new Date(t0 + i * 10).toISOString(),
        flow_run_id: big.id,
        task_run_id: i % 4 === 0 ? null : tasks[i % 4].id,
      });
    await call('POST', '/logs/', batch);
  }
  await state(big.id, 'COMPLETED');
  return { flows: { etl, report }, runs, big: { run: big, tasks, lines: opts.lines }, subflow };
}
