/**
 * A flow run (`/runs/{id}`, `/runs/{id}/logs`): its header (state and message, times, duration,
 * parent and subflows, tags, labels, parameters; retry and stop), its task runs grouped by task,
 * and its logs. The page title names the run.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, mayWrite } from '../api.ts';
import { type FlowRun, loadFlowNames, type TaskRun } from '../data.ts';
import { formatDuration, formatTime, TERMINAL } from '../format.ts';
import { LogViewer } from '../logs/LogViewer.tsx';
import { Empty, ErrorBox, Loading, StateBadge } from '../parts/common.tsx';
import { navigate, params, setParams } from '../router.ts';
import { Waterfall } from '../trace/Waterfall.tsx';
import { EventsPage } from './Events.tsx';

function TaskRuns({ tasks, onPick }: { tasks: TaskRun[]; onPick: (id: string) => void }) {
  // Mapped tasks (one task key, many runs) are one group with its runs' states counted.
  const groups = new Map<string, TaskRun[]>();
  for (const t of tasks) groups.set(t.task_key, [...(groups.get(t.task_key) ?? []), t]);
  if (!tasks.length) return <Empty>This run has no task runs.</Empty>;
  return (
    <ul class="task-groups">
      {[...groups].map(([key, runs]) => (
        <li key={key}>
          {runs.length > 1 && (
            <p class="group-head">
              {runs[0].name.replace(/-\d+$/, '')} × {runs.length}:{' '}
              {Object.entries(
                runs.reduce<Record<string, number>>((c, r) => {
                  const s = r.state_type ?? 'NONE';
                  c[s] = (c[s] ?? 0) + 1;
                  return c;
                }, {}),
              )
                .map(([s, n]) => `${n} ${s.toLowerCase()}`)
                .join(', ')}
            </p>
          )}
          <ul>
            {runs.map((t) => (
              <li key={t.id} class="task-run">
                <StateBadge type={t.state_type} name={t.state_name} />
                <button type="button" class="link" onClick={() => onPick(t.id)} title="Show this task's logs">
                  {t.name}
                </button>
                <span>{formatDuration(t.start_time ? t.estimated_run_time : null)}</span>
                <span class="muted">
                  {t.run_count > 1 ? `${t.run_count} attempts` : t.run_count === 1 ? '1 attempt' : 'not started'}
                </span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

export function RunPage({ id, tab: pathTab }: { id: string; tab?: string }) {
  const [run, setRun] = useState<FlowRun>();
  const [flowName, setFlowName] = useState('');
  const [tasks, setTasks] = useState<TaskRun[]>([]);
  const [subflows, setSubflows] = useState<FlowRun[]>([]);
  const [parent, setParent] = useState<FlowRun>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const tab = params().get('tab') ?? pathTab ?? 'logs';

  const load = async () => {
    try {
      const r = await api<FlowRun>('GET', `/flow_runs/${id}`);
      setRun(r);
      setFlowName((await loadFlowNames([r.flow_id])).get(r.flow_id) ?? '');
      const byRun = { flow_runs: { id: { any_: [id] } } };
      const all: TaskRun[] = [];
      for (let offset = 0; offset < 2000; offset += 200) {
        const page = await api<TaskRun[]>('POST', '/task_runs/filter', {
          ...byRun,
          sort: 'EXPECTED_START_TIME_ASC',
          offset,
          limit: 200,
        });
        all.push(...page);
        if (page.length < 200) break;
      }
      setTasks(all);
      setSubflows(
        await api<FlowRun[]>('POST', '/flow_runs/filter', {
          flow_runs: { parent_flow_run_id: { any_: [id] } },
          sort: 'START_TIME_DESC',
          limit: 200,
        }),
      );
      if (r.parent_task_run_id) {
        const t = await api<TaskRun>('GET', `/task_runs/${r.parent_task_run_id}`);
        if (t.flow_run_id) setParent(await api<FlowRun>('GET', `/flow_runs/${t.flow_run_id}`));
      }
    } catch (e) {
      setError(e);
    }
  };

  useEffect(() => {
    setRun(undefined);
    setError(undefined);
    load();
  }, [id]);
  // A run that has not finished is read again every 5 s (its header and task runs).
  useEffect(() => {
    if (!run || TERMINAL.has(run.state_type ?? '')) return;
    const t = setTimeout(load, 5000);
    return () => clearTimeout(t);
  }, [run]);
  useEffect(() => {
    if (run) document.title = `${run.name} · ${flowName || 'flow run'} · Sightline`;
  }, [run?.name, flowName]);

  const taskNames = useMemo(() => new Map(tasks.map((t) => [t.id, t.name])), [tasks]);

  const act = async (action: 'retry' | 'stop') => {
    try {
      const r = await api<{ data: { id: string } }>('POST', `/v1/flow-runs/${id}/${action}`);
      if (action === 'retry') navigate(`/runs/${r.data.id}`);
      else {
        setNotice('Stop requested: the run is cancelling.');
        load();
      }
    } catch (e) {
      setNotice(e instanceof ApiError ? e.message : String(e));
    }
  };

  if (error) return <ErrorBox error={error} />;
  if (!run) return <Loading what="the run" />;
  const finished = TERMINAL.has(run.state_type ?? '');
  return (
    <section class="page run-page">
      <header class="page-header run-header">
        <p class="crumbs">
          <a href="/runs">Runs</a> / {flowName}
          {parent && (
            <>
              {' '}
              / subflow of <a href={`/runs/${parent.id}`}>{parent.name}</a>
            </>
          )}
        </p>
        <h1>
          {run.name} <StateBadge type={run.state_type} name={run.state_name} />
        </h1>
        {run.state?.message && <p class="state-message">{run.state.message}</p>}
        <dl class="facts">
          <dt>Start</dt>
          <dd>{formatTime(run.start_time ?? run.expected_start_time)}</dd>
          <dt>End</dt>
          <dd>{formatTime(run.end_time)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(run.start_time ? run.estimated_run_time : null)}</dd>
          <dt>Attempts</dt>
          <dd>{run.run_count}</dd>
          {run.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd class="tags">
                {run.tags.map((t) => (
                  <span key={t} class="tag">
                    {t}
                  </span>
                ))}
              </dd>
            </>
          )}
        </dl>
        <div class="actions">
          {mayWrite.value && finished && (
            <button type="button" onClick={() => act('retry')}>
              Retry
            </button>
          )}
          {mayWrite.value && !finished && (
            <button type="button" onClick={() => act('stop')}>
              Stop
            </button>
          )}
          {notice && (
            <span class="notice" role="status">
              {notice}
            </span>
          )}
        </div>
      </header>
      <nav class="tabs" aria-label="Run sections">
        {[
          ['logs', 'Logs'],
          ['trace', 'Trace'],
          ['events', 'Events'],
          ['tasks', `Task runs (${tasks.length})`],
          ['subflows', `Subflows (${subflows.length})`],
          ['details', 'Parameters & labels'],
        ].map(([t, label]) => (
          <button
            key={t}
            type="button"
            class={tab === t ? 'on' : ''}
            aria-current={tab === t}
            onClick={() => setParams({ tab: t === 'logs' ? undefined : t })}
          >
            {label}
          </button>
        ))}
      </nav>
      {tab === 'logs' && <LogViewer runId={run.id} tasks={taskNames} running={!finished} />}
      {tab === 'trace' && <Waterfall runId={run.id} />}
      {tab === 'events' && <EventsPage runId={run.id} />}
      {tab === 'tasks' && <TaskRuns tasks={tasks} onPick={(task) => setParams({ tab: undefined, task })} />}
      {tab === 'subflows' &&
        (subflows.length ? (
          <ul class="subflows">
            {subflows.map((s) => (
              <li key={s.id}>
                <StateBadge type={s.state_type} name={s.state_name} /> <a href={`/runs/${s.id}`}>{s.name}</a>
              </li>
            ))}
          </ul>
        ) : (
          <Empty>This run started no subflows.</Empty>
        ))}
      {tab === 'details' && (
        <div class="details">
          <h2>Parameters</h2>
          <pre>{JSON.stringify(run.parameters, null, 2)}</pre>
          <h2>Labels</h2>
          <pre>{JSON.stringify(run.labels, null, 2)}</pre>
        </div>
      )}
    </section>
  );
}
