/**
 * The run's trace as a waterfall (`/runs/{id}?tab=trace`): a row per span in tree order with its
 * bar on a shared time axis, coloured by state; nodes read and opened on demand; mapped tasks
 * grouped; the failing path and (on request) the critical path highlighted; a minimap of the
 * whole trace whose drag zooms the axis; keyboard navigation (↑/↓ or j/k, ←/→ collapse and
 * expand, Enter opens the side panel). Each bar marks its span's state changes (read for the rows
 * on screen once the view rests); the side panel lists the state history with its messages and
 * embeds the log viewer scoped to the span.
 */
import { useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDuration, formatTime, stateClass, TERMINAL } from '../format.ts';
import { LogViewer } from '../logs/LogViewer.tsx';
import { Empty, ErrorBox, Loading, StateBadge } from '../parts/common.tsx';
import { useVirtualizer } from '../parts/virtual.ts';
import { type Row, type Span, type StateChanges, TraceTree } from './model.ts';

const ROW = 26;

/**
 * The span's logs: a flow run's own, or a task run's within its flow run; the link opens them on
 * the run page's Logs tab.
 */
function SpanLogs({ span }: { span: Span }) {
  const task = span.span_type === 'task-run' ? span.span_id : undefined;
  const runId = task ? span.parent_span_id : span.span_id;
  const tasks = useMemo(() => new Map(task ? [[task, span.name]] : []), [span.span_id]);
  if (!runId) return <Empty>This task run belongs to no flow run: it has no run logs to show.</Empty>;
  return (
    <>
      <h3>
        Logs{' '}
        <a class="full-size" href={`/runs/${runId}${task ? `?task=${task}` : ''}`}>
          {task ? 'open full size' : 'open this flow run'}
        </a>
      </h3>
      <LogViewer
        key={span.span_id}
        runId={runId}
        tasks={tasks}
        running={!TERMINAL.has(span.state_type ?? '')}
        embedded={{ task }}
      />
    </>
  );
}

/** A bar's state markers: one per state change inside the view, in the colour of the state entered. */
function StateMarks({ changes, x }: { changes: StateChanges | undefined; x: (t: number) => number }) {
  if (!changes) return null;
  return (
    <>
      {changes.states.map((c, i) => {
        const at = x(Date.parse(c.timestamp));
        if (at < 0 || at > 100) return null;
        return (
          <span
            key={i}
            class={`state-mark bar-${c.type.toLowerCase()}`}
            style={{ left: `${at}%` }}
            title={`${c.name} · ${formatTime(c.timestamp, true)}`}
          />
        );
      })}
    </>
  );
}

function SidePanel({ span, onClose }: { span: Span; onClose: () => void }) {
  const [states, setStates] = useState<{ type: string; name: string; timestamp: string; message: string | null }[]>();
  useEffect(() => {
    setStates(undefined);
    if (span.span_type === 'artifact') return;
    const q =
      span.span_type === 'flow-run'
        ? `flow_run_states/?flow_run_id=${span.span_id}`
        : `task_run_states/?task_run_id=${span.span_id}`;
    api<typeof states>('GET', `/${q}`).then(setStates, () => setStates([]));
  }, [span.span_id]);
  return (
    <aside class="side-panel" aria-label={`Span ${span.name}`}>
      <header>
        <h2>
          {span.name} <StateBadge type={span.state_type} name={span.state_name} />
        </h2>
        <button type="button" onClick={onClose} aria-label="Close the span panel">
          ×
        </button>
      </header>
      <p class="muted">
        {span.span_type} · {formatTime(span.start_time, true)} → {formatTime(span.end_time, true)}
      </p>
      <h3>State history</h3>
      {states === undefined ? (
        <Loading what="states" />
      ) : (
        <ol class="state-history">
          {states.map((s) => (
            <li key={s.timestamp + s.name}>
              <StateBadge type={s.type} name={s.name} /> {formatTime(s.timestamp, true)}
              {s.message && <div class="muted">{s.message}</div>}
            </li>
          ))}
        </ol>
      )}
      <h3>Attributes</h3>
      <dl class="attributes">
        {Object.entries(span.attributes).map(([k, v]) => (
          <>
            <dt key={`k${k}`}>{k}</dt>
            <dd key={`v${k}`}>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
          </>
        ))}
      </dl>
      {span.span_type !== 'artifact' && <SpanLogs span={span} />}
    </aside>
  );
}

export function Waterfall({ runId }: { runId: string }) {
  const [tree, setTree] = useState<TraceTree>();
  const [error, setError] = useState<unknown>();
  const [version, redraw] = useReducer((n: number) => n + 1, 0);
  const [critical, setCritical] = useState(false);
  const [zoom, setZoom] = useState<{ from: number; to: number }>();
  const [drag, setDrag] = useState<{ a: number; b: number }>();
  const [focus, setFocus] = useState(0);
  const [selected, setSelected] = useState<string>();
  const now = Date.now();

  useEffect(() => {
    const started = performance.now();
    (async () => {
      const { trace_id } = await api<{ trace_id: string }>('GET', `/spans/lookup/${runId}`);
      const t = new TraceTree(trace_id, runId);
      await t.load();
      setTree(t);
      requestAnimationFrame(() => performance.measure('sightline:trace-ready', { start: started }));
    })().catch(setError);
  }, [runId]);

  const rows: Row[] = useMemo(() => tree?.rows() ?? [], [tree, version]);
  const failing = useMemo(() => tree?.failingPath() ?? new Set<string>(), [tree, version]);
  const path = useMemo(
    () => (critical && tree ? tree.criticalPath(now) : new Set<string>()),
    [critical, tree, version],
  );
  const full = tree ? tree.extent(now) : { from: now - 1000, to: now };
  const view = zoom ?? full;
  const x = (t: number) => ((t - view.from) / (view.to - view.from)) * 100;
  const fx = (t: number) => ((t - full.from) / (full.to - full.from)) * 100;

  const scroll = useRef<HTMLDivElement>(null);
  const v = useVirtualizer(scroll, { count: rows.length, estimateSize: () => ROW, overscan: 15 });
  const [marksError, setMarksError] = useState<unknown>();
  const shown = v.getVirtualItems();
  const first = shown[0]?.index ?? 0;
  const last = shown[shown.length - 1]?.index ?? -1;
  // The state changes of the rows on screen, once the view rests (not on every scrolled frame).
  useEffect(() => {
    if (!tree) return;
    const t = setTimeout(() => {
      const ids = rows.slice(first, last + 1).flatMap((r) => (r.kind === 'span' ? [r.id] : []));
      tree.loadChanges(ids).then((got) => {
        setMarksError(undefined);
        if (got) redraw(0);
      }, setMarksError);
    }, 60);
    return () => clearTimeout(t);
  }, [tree, rows, first, last]);

  if (error) return <ErrorBox error={error} />;
  if (!tree) return <Loading what="the trace" />;

  const toggle = async (row: Row, open?: boolean) => {
    if (row.kind === 'group') {
      const want = open ?? !tree.openGroups.has(row.id);
      if (want) tree.openGroups.add(row.id);
      else tree.openGroups.delete(row.id);
    } else {
      const node = tree.nodes.get(row.id)!;
      if (!node.span.has_children) return;
      const want = open ?? !tree.expanded.has(row.id);
      if (want) await tree.expand(row.id).catch(setError);
      else tree.collapse(row.id);
    }
    redraw(0);
  };
  const onKey = (e: KeyboardEvent) => {
    const row = rows[focus];
    const move = (i: number) => {
      const next = Math.max(0, Math.min(rows.length - 1, i));
      setFocus(next);
      v.scrollToIndex(next);
      e.preventDefault();
    };
    if (e.key === 'ArrowDown' || e.key === 'j') move(focus + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(focus - 1);
    else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && row) {
      e.preventDefault();
      toggle(row, e.key === 'ArrowRight');
    } else if (e.key === 'Enter' && row?.kind === 'span') setSelected(row.id);
    else if (e.key === 'Escape') setSelected(undefined);
  };
  const minimapAt = (el: HTMLElement, clientX: number) => {
    const r = el.getBoundingClientRect();
    return full.from + ((clientX - r.left) / r.width) * (full.to - full.from);
  };

  return (
    <section class="waterfall" aria-label="Trace">
      <div class="trace-actions">
        <button
          type="button"
          onClick={async () => {
            await tree.expandAll().catch(setError);
            redraw(0);
          }}
        >
          Expand all
        </button>
        <button
          type="button"
          onClick={() => {
            tree.collapseCompleted();
            redraw(0);
          }}
        >
          Collapse completed
        </button>
        <label class="check">
          <input type="checkbox" checked={critical} onChange={(e) => setCritical(e.currentTarget.checked)} />
          critical path
        </label>
        {zoom && (
          <button type="button" onClick={() => setZoom(undefined)}>
            Whole trace
          </button>
        )}
        <span class="muted">
          {tree.nodes.size.toLocaleString()} spans loaded · {formatTime(new Date(view.from).toISOString(), true)} →{' '}
          {formatTime(new Date(view.to).toISOString(), true)}
        </span>
        {marksError !== undefined && (
          <span class="notice" role="status">
            State markers not read: {marksError instanceof Error ? marksError.message : String(marksError)}
          </span>
        )}
      </div>
      <div
        class="minimap"
        title="Drag to zoom the time axis"
        onPointerDown={(e) => {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          const t = minimapAt(e.currentTarget as HTMLElement, e.clientX);
          setDrag({ a: t, b: t });
        }}
        onPointerMove={(e) => drag && setDrag({ ...drag, b: minimapAt(e.currentTarget as HTMLElement, e.clientX) })}
        onPointerUp={() => {
          if (drag && Math.abs(drag.b - drag.a) > (full.to - full.from) / 500)
            setZoom({ from: Math.min(drag.a, drag.b), to: Math.max(drag.a, drag.b) });
          setDrag(undefined);
        }}
      >
        {rows.slice(0, 400).map((r, i) => {
          if (r.kind !== 'span') return null;
          const s = tree.nodes.get(r.id)!.span;
          if (!s.start_time) return null;
          const a = fx(Date.parse(s.start_time));
          const b = fx(s.end_time ? Date.parse(s.end_time) : now);
          return (
            <div
              key={r.id}
              class={`mini-bar bar-${(s.state_type ?? 'none').toLowerCase()}`}
              style={{
                left: `${a}%`,
                width: `${Math.max(0.2, b - a)}%`,
                top: `${(i / Math.min(rows.length, 400)) * 100}%`,
              }}
            />
          );
        })}
        {(zoom || drag) && (
          <div
            class="mini-window"
            style={{
              left: `${fx(drag ? Math.min(drag.a, drag.b) : view.from)}%`,
              width: `${fx(drag ? Math.max(drag.a, drag.b) : view.to) - fx(drag ? Math.min(drag.a, drag.b) : view.from)}%`,
            }}
          />
        )}
      </div>
      <div class="trace-body">
        <div
          class="trace-rows"
          ref={scroll}
          role="treegrid"
          aria-label="Spans of the trace"
          aria-rowcount={rows.length}
          tabIndex={0}
          onKeyDown={onKey}
        >
          <div style={{ height: `${v.getTotalSize()}px`, position: 'relative' }}>
            {v.getVirtualItems().map((item) => {
              const r = rows[item.index];
              if (!r) return null;
              const style = { transform: `translateY(${item.start}px)`, height: `${ROW}px` };
              const cls = `trace-row${item.index === focus ? ' focused' : ''}`;
              if (r.kind === 'group') {
                const counts: Record<string, number> = {};
                for (const m of r.members) {
                  const t = tree.nodes.get(m)!.span.state_type ?? 'NONE';
                  counts[t] = (counts[t] ?? 0) + 1;
                }
                const open = tree.openGroups.has(r.id);
                return (
                  // biome-ignore lint/a11y/useSemanticElements: rows of the tree grid above.
                  <div
                    tabIndex={item.index === focus ? 0 : -1}
                    key={r.id}
                    class={`${cls} group`}
                    style={style}
                    role="row"
                    aria-level={r.depth + 1}
                    aria-expanded={open}
                  >
                    {/* biome-ignore lint/a11y/useSemanticElements: cells of the tree grid (a virtualized grid has no native element). */}
                    {/* biome-ignore lint/a11y/useFocusableInteractive: the row carries the focus (roving tabindex). */}
                    <span class="trace-name" role="gridcell" style={{ paddingLeft: `${r.depth * 16}px` }}>
                      <button
                        type="button"
                        class="twisty"
                        aria-label={open ? 'Collapse' : 'Expand'}
                        onClick={() => toggle(r)}
                      >
                        {open ? '▾' : '▸'}
                      </button>
                      {r.label} × {r.members.length}{' '}
                      <span class="muted">
                        {Object.entries(counts)
                          .map(([t, n]) => `${n} ${t.toLowerCase()}`)
                          .join(', ')}
                      </span>
                    </span>
                    {/* biome-ignore lint/a11y/useSemanticElements: cells of the tree grid (a virtualized grid has no native element). */}
                    {/* biome-ignore lint/a11y/useFocusableInteractive: the row carries the focus (roving tabindex). */}
                    <span class="trace-track" role="gridcell" />
                  </div>
                );
              }
              const s = tree.nodes.get(r.id)!.span;
              const start = s.start_time ? Date.parse(s.start_time) : undefined;
              const end = s.end_time ? Date.parse(s.end_time) : now;
              const open = tree.expanded.has(r.id);
              // Markers are the latest 50 changes; the panel lists them all.
              const changes = tree.changes.get(r.id);
              const unmarked = changes ? changes.total - changes.states.length : 0;
              const marks = `${failing.has(r.id) ? ' failing' : ''}${path.has(r.id) ? ' critical' : ''}`;
              return (
                // biome-ignore lint/a11y/useSemanticElements: rows of the tree grid above.
                // biome-ignore lint/a11y/useKeyWithClickEvents: the grid handles the keys (Enter opens the panel).
                <div
                  tabIndex={item.index === focus ? 0 : -1}
                  key={r.id}
                  class={`${cls}${marks}${selected === r.id ? ' selected' : ''}`}
                  style={style}
                  role="row"
                  aria-level={r.depth + 1}
                  aria-expanded={s.has_children ? open : undefined}
                  data-span={r.id}
                  onClick={() => {
                    setFocus(item.index);
                    setSelected(r.id);
                  }}
                >
                  {/* biome-ignore lint/a11y/useSemanticElements: cells of the tree grid (a virtualized grid has no native element). */}
                  {/* biome-ignore lint/a11y/useFocusableInteractive: the row carries the focus (roving tabindex). */}
                  <span class="trace-name" role="gridcell" style={{ paddingLeft: `${r.depth * 16}px` }}>
                    {s.has_children ? (
                      <button
                        type="button"
                        class="twisty"
                        aria-label={open ? 'Collapse' : 'Expand'}
                        onClick={(e) => {
                          e.stopPropagation();
                          toggle(r);
                        }}
                      >
                        {open ? '▾' : '▸'}
                      </button>
                    ) : (
                      <span class="twisty" />
                    )}
                    <span class={stateClass(s.state_type)} title={s.state_name ?? ''}>
                      ●
                    </span>{' '}
                    {s.name}
                    {s.span_type === 'flow-run' && r.depth > 0 && <span class="muted"> (subflow)</span>}
                  </span>
                  {/* biome-ignore lint/a11y/useSemanticElements: cells of the tree grid (a virtualized grid has no native element). */}
                  {/* biome-ignore lint/a11y/useFocusableInteractive: the row carries the focus (roving tabindex). */}
                  <span class="trace-track" role="gridcell">
                    {start !== undefined && (
                      <span
                        class={`trace-bar bar-${(s.state_type ?? 'none').toLowerCase()}`}
                        style={{ left: `${x(start)}%`, width: `${Math.max(0.15, x(end) - x(start))}%` }}
                        title={`${s.name}: ${formatDuration((end - start) / 1000)}${unmarked > 0 ? ` · ${unmarked} earlier states not marked` : ''}`}
                      />
                    )}
                    <StateMarks changes={changes} x={x} />
                  </span>
                </div>
              );
            })}
          </div>
        </div>
        {selected && tree.nodes.get(selected) && (
          <SidePanel span={tree.nodes.get(selected)!.span} onClose={() => setSelected(undefined)} />
        )}
      </div>
    </section>
  );
}
