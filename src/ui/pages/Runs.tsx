/**
 * The runs list (`/runs`, the home page): top-level flow runs of a time window with their state,
 * flow, start, duration, tags and warning/error counts; filters kept in the URL; a count-by-state
 * histogram whose brush sets the window; rows read page by page as they scroll into view; live
 * updates from the flow-run events.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type FlowRun, type LogCounts, loadFlowNames, logCounts } from '../data.ts';
import { formatDuration, formatTime, STATE_TYPES, stateClass } from '../format.ts';
import { useEventStream } from '../live.ts';
import { Empty, ErrorBox, StateBadge } from '../parts/common.tsx';
import { UrlSearch, WindowSelect, windowOf } from '../parts/filters.tsx';
import { type Bucket, Histogram } from '../parts/Histogram.tsx';
import { usePages, useVirtualizer } from '../parts/virtual.ts';
import { params, setParams } from '../router.ts';

const RANGES: Record<string, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400 };
const ROW = 36;

function filtersOf(p: URLSearchParams, w: { from: number; to: number }) {
  const flowRuns: Record<string, unknown> = {
    operator: 'and_',
    expected_start_time: { after_: new Date(w.from).toISOString(), before_: new Date(w.to).toISOString() },
  };
  const states = p.get('state')?.split(',').filter(Boolean);
  if (states?.length) flowRuns.state = { type: { any_: states } };
  const tags = p.get('tags')?.split(',').filter(Boolean);
  if (tags?.length) flowRuns.tags = { all_: tags };
  const name = p.get('name');
  if (name) flowRuns.name = { like_: name };
  if (p.get('subflows') !== '1') flowRuns.parent_task_run_id = { is_null_: true };
  const flow = p.get('flow');
  return { flow_runs: flowRuns, ...(flow ? { flows: { id: { any_: [flow] } } } : {}) };
}

export function RunsPage() {
  const p = params();
  const [now, setNow] = useState(() => Date.now());
  const w = useMemo(() => windowOf(p, now, RANGES, '7d', 3600_000), [p.toString(), now]);
  const filters = useMemo(() => filtersOf(p, w), [p.toString(), w]);
  const key = JSON.stringify(filters);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>();
  const [history, setHistory] = useState<Bucket[]>([]);
  const [flows, setFlows] = useState<{ id: string; name: string }[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [counts, setCounts] = useState<Record<string, LogCounts>>({});
  const [tick, setTick] = useState(0);

  useEffect(() => {
    document.title = 'Runs · Sightline';
    api<{ id: string; name: string }[]>('POST', '/flows/filter', { limit: 200, sort: 'NAME_ASC' }).then(
      setFlows,
      setError,
    );
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setError(undefined);
    api<number>('POST', '/flow_runs/count', filters, ctl.signal).then(
      setTotal,
      (e) => ctl.signal.aborted || setError(e),
    );
    return () => ctl.abort();
  }, [key, tick]);

  // The first rows come first: the count and the histogram (which read every run of the window
  // on the server's one thread) follow; flow names and log counts fill in after the rows.
  const pageKey = `${key}#${tick}`;
  const [firstRows, setFirstRows] = useState<{ key: string; n: number }>({ key: '', n: 0 });
  const pages = usePages<FlowRun>(pageKey, async (offset, limit) => {
    const rows = await api<FlowRun[]>('POST', '/flow_runs/filter', {
      ...filters,
      sort: 'EXPECTED_START_TIME_DESC',
      offset,
      limit,
    });
    if (offset === 0) requestAnimationFrame(() => setFirstRows({ key: pageKey, n: rows.length }));
    Promise.all([loadFlowNames(rows.map((r) => r.flow_id)), logCounts(rows.map((r) => r.id))]).then(([n, c]) => {
      setNames(new Map(n));
      setCounts((old) => ({ ...old, ...c }));
    }, setError);
    return rows;
  });
  pages.ensure(0, 0);
  const shown = firstRows.key === pageKey;

  useEffect(() => {
    if (!shown) return;
    const ctl = new AbortController();
    const interval = Math.max(1, Math.round((w.to - w.from) / 1000 / 60));
    api<{ interval_start: string; interval_end: string; states: { state_type: string; count_runs: number }[] }[]>(
      'POST',
      '/flow_runs/history',
      {
        ...filters,
        flow_runs: { ...(filters.flow_runs as object), expected_start_time: undefined },
        history_start: new Date(w.from).toISOString(),
        history_end: new Date(w.to).toISOString(),
        history_interval_seconds: interval,
      },
      ctl.signal,
    ).then(
      (h) =>
        setHistory(
          h.map((b) => ({
            start: Date.parse(b.interval_start),
            end: Date.parse(b.interval_end),
            counts: Object.fromEntries(b.states.map((s) => [s.state_type, s.count_runs])),
          })),
        ),
      (e) => ctl.signal.aborted || setError(e),
    );
    return () => ctl.abort();
  }, [pageKey, shown]);

  // A flow-run event refreshes the list, at most every two seconds.
  useEventStream(['prefect.flow-run.'], () => {
    setNow(Date.now());
    setTick((t) => t + 1);
  });

  const scroll = useRef<HTMLDivElement>(null);
  const v = useVirtualizer(scroll, {
    count: total ?? (shown ? firstRows.n : 0),
    estimateSize: () => ROW,
    overscan: 10,
  });
  const items = v.getVirtualItems();
  if (items.length) pages.ensure(items[0].index, items[items.length - 1].index);

  const selected = new Set(p.get('state')?.split(',').filter(Boolean) ?? []);
  const toggleState = (s: string) => {
    if (selected.has(s)) selected.delete(s);
    else selected.add(s);
    setParams({ state: [...selected].join(',') });
  };

  return (
    <section class="page runs-page">
      <header class="page-header">
        <h1>Runs</h1>
        <span class="count" aria-live="polite">
          {total === null ? '' : `${total.toLocaleString()} run${total === 1 ? '' : 's'}`}
        </span>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Run filters">
        <fieldset class="state-filter">
          <legend>State</legend>
          {STATE_TYPES.map((s) => (
            <label key={s} class={`${stateClass(s)} chip${selected.has(s) ? ' on' : ''}`}>
              <input type="checkbox" checked={selected.has(s)} onChange={() => toggleState(s)} />
              {s.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <label>
          Flow
          <select value={p.get('flow') ?? ''} onChange={(e) => setParams({ flow: e.currentTarget.value })}>
            <option value="">all flows</option>
            {flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
        <UrlSearch label="Name" name="name" placeholder="run name contains" />
        <UrlSearch label="Tags" name="tags" placeholder="tag,tag" />
        <WindowSelect ranges={RANGES} fallback="7d" />
        <label class="check">
          <input
            type="checkbox"
            checked={p.get('subflows') === '1'}
            onChange={(e) => setParams({ subflows: e.currentTarget.checked ? '1' : undefined })}
          />
          subflows
        </label>
      </form>
      <Histogram
        label="Runs by state over the window"
        buckets={history}
        series={STATE_TYPES.map((s) => ({ key: s, label: s.toLowerCase(), className: `bar-${s.toLowerCase()}` }))}
        format={(ms) => formatTime(new Date(ms).toISOString())}
        onSelect={(from, to) =>
          setParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), range: undefined })
        }
      />
      {error !== undefined && <ErrorBox error={error} />}
      {pages.error !== undefined && <ErrorBox error={pages.error} />}
      {total === 0 && <Empty>No runs in this window match these filters.</Empty>}
      <section class="table runs-table" aria-label="Flow runs">
        <div class="row head">
          <span>State</span>
          <span>Run</span>
          <span>Flow</span>
          <span>Start</span>
          <span>Duration</span>
          <span>Tags</span>
          <span title="warnings / errors">Warn / Err</span>
        </div>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe: scrollable-region-focusable). */}
        <div class="scroll" ref={scroll} tabIndex={0}>
          <div style={{ height: `${v.getTotalSize()}px`, position: 'relative' }}>
            {items.map((item) => {
              const r = pages.row(item.index);
              const c = r && counts[r.id];
              return (
                <div
                  key={item.key}
                  class="row"
                  style={{ transform: `translateY(${item.start}px)`, height: `${ROW}px` }}
                >
                  {r ? (
                    <>
                      <span>
                        <StateBadge type={r.state_type} name={r.state_name} />
                      </span>
                      <span>
                        <a href={`/runs/${r.id}`} data-row>
                          {r.name}
                        </a>
                      </span>
                      <span>{names.get(r.flow_id) ?? ''}</span>
                      <span>{formatTime(r.start_time ?? r.expected_start_time)}</span>
                      <span>{formatDuration(r.start_time ? r.estimated_run_time : null)}</span>
                      <span class="tags">
                        {r.tags.map((t) => (
                          <span key={t} class="tag">
                            {t}
                          </span>
                        ))}
                      </span>
                      <span class="counts">
                        {c ? (
                          <>
                            <span class={c.warnings ? 'warn' : 'zero'}>{c.warnings}</span> /{' '}
                            <span class={c.errors ? 'err' : 'zero'}>{c.errors}</span>
                          </>
                        ) : (
                          ''
                        )}
                      </span>
                    </>
                  ) : (
                    <span class="placeholder">…</span>
                  )}
                </div>
              );
            })}
          </div>
        </div>
      </section>
    </section>
  );
}
