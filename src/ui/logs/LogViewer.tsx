/**
 * A run's logs: one virtualized list whose scrollbar spans every matching line of the run (rows
 * are read by offset, a page at a time, as they come into view), a level histogram over the run
 * whose brush sets the time window, filters (level, logger, task, text — all applied by the server
 * over the whole run), jumps (top, bottom, first error, a line's own link), a live tail that
 * follows while at the bottom, ANSI colours, links, folded multi-line messages.
 *
 * Full size (the run's Logs tab) its choices live in the URL; embedded (the trace's span panel) they
 * live in the component, scoped to the span (a flow run's logs, or one task run's), with the level
 * and text filters only.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiKey, base } from '../api.ts';
import { type Log, logCounts } from '../data.ts';
import { formatTime, levelName, zoneLabel } from '../format.ts';
import { useLogTail } from '../live.ts';
import { Empty, ErrorBox } from '../parts/common.tsx';
import { type Bucket, Histogram } from '../parts/Histogram.tsx';
import { usePages, useVirtualizer } from '../parts/virtual.ts';
import { location$, params, setParams, withChanges } from '../router.ts';
import { wrapLines } from '../settings.ts';
import { highlightTerms, renderAnsi } from './ansi.ts';

const ROW = 22;
const LEVELS = [
  ['0', 'all levels'],
  ['10', 'debug +'],
  ['20', 'info +'],
  ['30', 'warning +'],
  ['40', 'error +'],
  ['50', 'critical'],
] as const;
const CLASSES = ['debug', 'info', 'warning', 'error', 'critical'] as const;

interface Histo {
  start: string | null;
  interval_seconds: number;
  buckets: Record<string, number>[];
  totals: Record<string, number>;
}

interface Props {
  runId: string;
  /** Task run id → name, for the task filter and column. */
  tasks: Map<string, string>;
  running: boolean;
  /** Embedded in a panel: the choices are the component's own, and `task` (if any) fixes the task filter. */
  embedded?: { task?: string };
}

type SetChoices = (changes: Record<string, string | undefined>) => void;

/** The viewer's choices (level, logger, task, text, order, window) and how to change them. */
function useChoices(embedded: Props['embedded']): [URLSearchParams, SetChoices] {
  const [own, setOwn] = useState(() => new URLSearchParams());
  if (!embedded) return [params(), setParams];
  const p = new URLSearchParams(own);
  if (embedded.task) p.set('task', embedded.task);
  return [p, (changes) => setOwn((prev) => withChanges(prev, changes))];
}

/** The server-side filter of the URL's choices (text apart). */
function filterOf(p: URLSearchParams) {
  const f: Record<string, unknown> = {};
  const level = Number(p.get('level') ?? 0);
  if (level > 0) f.level = { ge_: level };
  const logger = p.get('logger');
  if (logger) f.loggers = { any_: [logger] };
  const task = p.get('task');
  if (task) f.task_run_id = { any_: [task] };
  const from = p.get('from');
  const to = p.get('to');
  if (from || to) f.timestamp = { ...(from ? { after_: from } : {}), ...(to ? { before_: to } : {}) };
  return f;
}

function Message({ text, terms }: { text: string; terms: string[] }) {
  return (
    <>
      {renderAnsi(text, terms).map((p, i) =>
        p.href ? (
          <a key={i} class={p.classes} href={p.href} target="_blank" rel="noopener noreferrer">
            {p.match ? <mark>{p.text}</mark> : p.text}
          </a>
        ) : p.match ? (
          <mark key={i} class={p.classes}>
            {p.text}
          </mark>
        ) : p.classes ? (
          <span key={i} class={p.classes}>
            {p.text}
          </span>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

export function LogViewer({ runId, tasks, running, embedded }: Props) {
  const [p, setParams] = useChoices(embedded);
  const filter = useMemo(
    () => filterOf(p),
    [p.get('level'), p.get('logger'), p.get('task'), p.get('from'), p.get('to')],
  );
  // With "only matches" off, every line stays and matches are marked in it.
  const onlyMatches = p.get('all') !== '1';
  const query = onlyMatches ? (p.get('q') ?? '') : '';
  const marked = p.get('q') ?? '';
  const desc = p.get('order') === 'newest';
  const sort = desc ? 'TIMESTAMP_DESC' : 'TIMESTAMP_ASC';
  const terms = useMemo(() => highlightTerms(marked), [marked]);
  const [histo, setHisto] = useState<Histo>();
  const [loggers, setLoggers] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [extra, setExtra] = useState(0);
  const [textCount, setTextCount] = useState<{ n: number; more: boolean }>({ n: 0, more: true });
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [focus, setFocus] = useState<string | null>(null);
  const [following, setFollowing] = useState(!desc);
  const [unseen, setUnseen] = useState(0);
  // Bumped when the live tail (re)subscribes: the run is read again from that point on.
  const [epoch, setEpoch] = useState(0);
  const [live, setLive] = useState(false);
  const key = `${runId}|${JSON.stringify(filter)}|${query}|${sort}|${epoch}`;

  useEffect(() => {
    setHisto(undefined);
    setError(undefined);
    setUnseen(0);
    setTextCount({ n: 0, more: true });
  }, [key]);

  useEffect(() => {
    if (embedded) return; // its logger filter is the full-size viewer's
    api<{ logger_name: string }[]>('GET', `/traces/${runId}/observed-loggers?limit=200`).then(
      (l) => setLoggers(l.map((x) => x.logger_name).sort()),
      () => setLoggers([]),
    );
  }, [runId]);

  // Unfiltered, the run's own counter (kept at ingest) gives the length at once; the histogram,
  // which reads every matching line's index entry, follows.
  const [runCount, setRunCount] = useState<number>();
  const unfiltered = Object.keys(filter).length === 0;
  useEffect(() => {
    setRunCount(undefined);
    if (!unfiltered) return;
    logCounts([runId]).then((c) => setRunCount(c[runId]?.logs), setError);
  }, [key]);
  // The histogram reads every matching line's index entry (a second at a million lines, on the
  // server's one thread): unfiltered, it waits for the first lines to be shown.
  const [shown, setShown] = useState('');
  const histogramNow = !unfiltered || shown === key || runCount === 0;
  useEffect(() => {
    if (!histogramNow) return;
    const ctl = new AbortController();
    api<Histo>('POST', `/sightline/flow_runs/${runId}/log-histogram`, { logs: filter, buckets: 120 }, ctl.signal).then(
      (h) => {
        // Live lines counted so far are in this answer.
        setExtra(0);
        setHisto(h);
      },
      (e) => ctl.signal.aborted || setError(e),
    );
    return () => ctl.abort();
  }, [key, histogramNow]);
  const counted = histo
    ? Object.values(histo.totals).reduce((a, b) => a + b, 0)
    : unfiltered && runCount !== undefined
      ? runCount
      : 0;
  // A text search is not counted ahead (it would scan): its list grows as pages arrive.
  const total = query ? textCount.n + (textCount.more ? 1 : 0) : counted + extra;

  const pages = usePages<Log>(key, async (offset, limit) => {
    const logs = { ...filter, ...(query ? { text: { query } } : {}) };
    const rows = await api<Log[]>('POST', `/sightline/flow_runs/${runId}/logs`, { logs, sort, offset, limit });
    if (offset === 0) requestAnimationFrame(() => setShown(key));
    if (query)
      setTextCount((c) => (offset + rows.length >= c.n ? { n: offset + rows.length, more: rows.length === limit } : c));
    return rows;
  });

  const scroll = useRef<HTMLDivElement>(null);
  const v = useVirtualizer(scroll, {
    count: total,
    estimateSize: () => ROW,
    overscan: 20,
  });
  const items = v.getVirtualItems();
  if (items.length) pages.ensure(items[0].index, items[items.length - 1].index);

  // Live tail: new lines extend the list; while following, the view stays at the bottom.
  useLogTail<Log>(
    running && !desc && !query ? { ...filter, flow_run_id: { any_: [runId] }, operator: 'and_' } : undefined,
    () => {
      setExtra((n) => n + 1);
      if (!following) setUnseen((n) => n + 1);
    },
    () => {
      setEpoch((n) => n + 1);
      setLive(true);
    },
  );
  // While following, the last page is read again (at most four times a second) and shown.
  useEffect(() => {
    if (!extra || !following) return;
    const t = setTimeout(() => {
      pages.reset();
      v.scrollToIndex(Math.max(0, total - 1), { align: 'end' });
    }, 250);
    return () => clearTimeout(t);
  }, [extra]);

  const onScroll = () => {
    const el = scroll.current;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2;
    if (atBottom !== following) setFollowing(atBottom);
    if (atBottom) setUnseen(0);
  };

  const jumpTo = async (logId: string) => {
    try {
      const { offset } = await api<{ offset: number }>('POST', `/sightline/flow_runs/${runId}/log-position`, {
        log_id: logId,
        logs: filter,
        sort,
      });
      setFocus(logId);
      v.scrollToIndex(offset, { align: 'center' });
    } catch (e) {
      setError(e);
    }
  };
  const firstError = async () => {
    const [first] = await api<Log[]>('POST', `/sightline/flow_runs/${runId}/logs`, {
      logs: { ...filter, level: { ge_: 40 } },
      sort: 'TIMESTAMP_ASC',
      limit: 1,
    });
    if (first) await jumpTo(first.id);
    else setError(new Error('No error in these logs.'));
  };
  // `#log-<id>` opens the run at that line (the full-size viewer's).
  const hash = embedded ? '' : location$.value.hash;
  useEffect(() => {
    if (hash.startsWith('#log-') && histo) jumpTo(hash.slice(5));
  }, [hash, histo !== undefined]);

  const buckets: Bucket[] =
    histo?.start && histo.buckets.length
      ? histo.buckets.map((counts, i) => {
          const start = Date.parse(histo.start!) + i * histo.interval_seconds * 1000;
          return { start, end: start + histo.interval_seconds * 1000, counts };
        })
      : [];
  // Streamed to disk by the browser: a plain link, or under --auth a signed 5-minute one.
  const download = async (format: 'csv' | 'text') => {
    try {
      const url = apiKey()
        ? (await api<{ url: string }>('POST', `/sightline/flow_runs/${runId}/download-link`, { format })).url
        : `${base()}/flow_runs/${runId}/logs/download${format === 'text' ? '?format=text' : ''}`;
      const a = document.createElement('a');
      a.href = url;
      a.download = '';
      a.click();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section
      class={`log-viewer${embedded ? ' embedded' : ''}`}
      aria-label={embedded ? 'Logs of this span' : 'Logs'}
      data-live={live ? 'on' : 'off'}
    >
      <p class="log-levels">
        {CLASSES.map((c) => (
          <span key={c} class={`level-count lvl-${c}`}>
            {c} <b>{histo ? (histo.totals[c] ?? 0).toLocaleString() : '…'}</b>
          </span>
        ))}
      </p>
      {!embedded && (
        <Histogram
          label="Log volume over the run by level"
          buckets={buckets}
          series={CLASSES.map((c) => ({ key: c, label: c, className: `bar-lvl-${c}` }))}
          format={(ms) => formatTime(new Date(ms).toISOString(), true)}
          onSelect={(from, to) => setParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })}
        />
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Log filters">
        <label>
          Level
          <select value={p.get('level') ?? '0'} onChange={(e) => setParams({ level: e.currentTarget.value })}>
            {LEVELS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {!embedded && (
          <>
            <label>
              Logger
              <select value={p.get('logger') ?? ''} onChange={(e) => setParams({ logger: e.currentTarget.value })}>
                <option value="">all loggers</option>
                {loggers.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Task
              <select value={p.get('task') ?? ''} onChange={(e) => setParams({ task: e.currentTarget.value })}>
                <option value="">all tasks</option>
                {[...tasks].map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <label>
          Search
          <input
            type="search"
            value={marked}
            placeholder='error -retry "exact phrase"'
            onChange={(e) => setParams({ q: e.currentTarget.value })}
          />
        </label>
        {!embedded && (
          <>
            <label class="check">
              <input
                type="checkbox"
                checked={onlyMatches}
                onChange={(e) => setParams({ all: e.currentTarget.checked ? undefined : '1' })}
              />
              only matches
            </label>
            <label>
              Order
              <select value={desc ? 'newest' : 'oldest'} onChange={(e) => setParams({ order: e.currentTarget.value })}>
                <option value="oldest">oldest first</option>
                <option value="newest">newest first</option>
              </select>
            </label>
            {(p.get('from') || p.get('to')) && (
              <button type="button" onClick={() => setParams({ from: undefined, to: undefined })}>
                whole run
              </button>
            )}
          </>
        )}
      </form>
      {!embedded && (
        <div class="log-actions">
          <button type="button" onClick={() => v.scrollToIndex(0)}>
            Top
          </button>
          <button type="button" onClick={() => v.scrollToIndex(Math.max(0, total - 1), { align: 'end' })}>
            Bottom
          </button>
          <button type="button" onClick={firstError}>
            First error
          </button>
          <button type="button" onClick={() => download('csv')}>
            Download CSV
          </button>
          <button type="button" onClick={() => download('text')}>
            Download text
          </button>
          <label class="check">
            <input
              type="checkbox"
              checked={wrapLines.value === 'on'}
              onChange={(e) => (wrapLines.value = e.currentTarget.checked ? 'on' : 'off')}
            />
            wrap lines
          </label>
          <span class="zone">times in {zoneLabel()}</span>
        </div>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      {pages.error !== undefined && <ErrorBox error={pages.error} />}
      {histo && total === 0 && <Empty>No logs match these filters in this run.</Empty>}
      <div
        class={`log-scroll${wrapLines.value === 'off' ? ' nowrap' : ''}`}
        ref={scroll}
        onScroll={onScroll}
        role="log"
        aria-label="Log lines"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe: scrollable-region-focusable).
        tabIndex={0}
      >
        <div style={{ height: `${v.getTotalSize()}px`, position: 'relative' }}>
          {items.map((item) => {
            const log = pages.row(item.index);
            if (!log)
              return (
                <div key={item.key} class="log-row placeholder" style={{ transform: `translateY(${item.start}px)` }}>
                  {item.index < total ? '…' : ''}
                </div>
              );
            const lines = log.message.split('\n');
            const expanded = open.has(log.id);
            return (
              <div
                key={item.key}
                id={embedded ? undefined : `log-${log.id}`}
                data-index={item.index}
                ref={v.measureElement}
                class={`log-row lvl-${CLASSES[Math.min(4, Math.max(0, Math.floor(log.level / 10) - 1))]}${focus === log.id ? ' focused' : ''}`}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                {embedded ? (
                  <span class="log-time" title={formatTime(log.timestamp, true)}>
                    {formatTime(log.timestamp, true).slice(11)}
                  </span>
                ) : (
                  <a class="log-time" href={`#log-${log.id}`} title="Link to this line">
                    {formatTime(log.timestamp, true)}
                  </a>
                )}
                <span class="log-level">{levelName(log.level)}</span>
                {!embedded && (
                  <>
                    <span class="log-logger" title={log.name}>
                      {log.name}
                    </span>
                    <span class="log-task">
                      {log.task_run_id ? (
                        <button type="button" class="link" onClick={() => setParams({ task: log.task_run_id! })}>
                          {tasks.get(log.task_run_id) ?? 'task'}
                        </button>
                      ) : (
                        ''
                      )}
                    </span>
                  </>
                )}
                <span class="log-message">
                  <Message text={expanded ? log.message : lines[0]} terms={terms} />
                  {lines.length > 1 && (
                    <button
                      type="button"
                      class="fold"
                      aria-expanded={expanded}
                      onClick={() => {
                        const next = new Set(open);
                        if (expanded) next.delete(log.id);
                        else next.add(log.id);
                        setOpen(next);
                      }}
                    >
                      {expanded ? 'fold' : `+${lines.length - 1} lines`}
                    </button>
                  )}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      {unseen > 0 && (
        <button
          type="button"
          class="jump-latest"
          onClick={() => {
            setUnseen(0);
            setFollowing(true);
            pages.reset();
            v.scrollToIndex(Math.max(0, total - 1), { align: 'end' });
          }}
        >
          Jump to latest ({unseen} new)
        </button>
      )}
    </section>
  );
}
