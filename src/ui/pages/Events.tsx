/**
 * Events (`/events`): a count-by-time chart stacked by the top event names whose brush sets the
 * window, filters (name prefix, resource, related resource, text) kept in the URL, the list paged
 * with the server's signed page tokens, live mode over `/events/out` with an "N new events" pill,
 * and a drawer with the event's JSON and links to its runs.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, request } from '../api.ts';
import { formatTime } from '../format.ts';
import { useEventStream } from '../live.ts';
import { Empty, ErrorBox, Loading } from '../parts/common.tsx';
import { UrlSearch, WindowSelect, windowOf } from '../parts/filters.tsx';
import { type Bucket, Histogram } from '../parts/Histogram.tsx';
import { params, setParams } from '../router.ts';
import { eventsPerPage } from '../settings.ts';

interface Event {
  id: string;
  occurred: string;
  event: string;
  resource: Record<string, string>;
  related: Record<string, string>[];
  payload: unknown;
}
interface Page {
  events: Event[];
  total: number;
  next_page: string | null;
}

const RANGES: Record<string, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400 };
const TOP = 5;
const SERIES_CLASSES = ['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-other'];

/** The run a resource id names (`prefect.flow-run.<id>`), if any. */
function runOf(id: string | undefined): string | undefined {
  return id?.startsWith('prefect.flow-run.') ? id.slice('prefect.flow-run.'.length) : undefined;
}

function eventFilterOf(p: URLSearchParams, w: { from: number; to: number }) {
  const filter: Record<string, unknown> = {
    occurred: { since: new Date(w.from).toISOString(), until: new Date(w.to).toISOString() },
  };
  const prefix = p.get('event');
  if (prefix) filter.event = { prefix: [prefix] };
  const resource = p.get('resource');
  if (resource) filter.resource = { id_prefix: [resource] };
  const related = p.get('related');
  if (related) filter.related = { id: [related] };
  const text = p.get('text');
  if (text) filter.text = { query: text };
  return filter;
}

export function EventsPage({ runId }: { runId?: string }) {
  const p = params();
  const [now, setNow] = useState(() => Date.now());
  const w = useMemo(() => windowOf(p, now, RANGES, '24h'), [p.toString(), now]);
  const filter = useMemo(() => {
    const f = eventFilterOf(p, w);
    if (runId) f.any_resource = { id: [`prefect.flow-run.${runId}`] };
    return f;
  }, [p.toString(), w, runId]);
  const key = JSON.stringify(filter);
  const [page, setPage] = useState<Page>();
  const [more, setMore] = useState<Event[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [chart, setChart] = useState<{ buckets: Bucket[]; names: string[] }>({ buckets: [], names: [] });
  const [error, setError] = useState<unknown>();
  const [fresh, setFresh] = useState(0);
  const [open, setOpen] = useState<Event>();
  const live = p.get('live') === '1';

  useEffect(() => {
    if (!runId) document.title = 'Events · Sightline';
    const ctl = new AbortController();
    setError(undefined);
    setMore([]);
    setFresh(0);
    api<Page>('POST', '/events/filter', { filter, limit: Number(eventsPerPage.value) }, ctl.signal).then(
      (pg) => {
        setPage(pg);
        setNext(pg.next_page);
      },
      (e) => ctl.signal.aborted || setError(e),
    );
    // The chart: the top names, each counted over time, the rest as "other".
    const seconds = (w.to - w.from) / 1000;
    const unit = seconds <= 7200 ? 'minute' : seconds <= 3 * 86_400 ? 'hour' : 'day';
    const per = { minute: 60, hour: 3600, day: 86_400 }[unit];
    const interval = Math.max(1, Math.ceil(seconds / per / 60));
    const count = (f: Record<string, unknown>) =>
      api<{ start_time: string; end_time: string; count: number }[]>(
        'POST',
        '/events/count-by/time',
        { filter: f, time_unit: unit, time_interval: interval },
        ctl.signal,
      );
    (async () => {
      const top = (await api<{ value: string }[]>('POST', '/events/count-by/event', { filter }, ctl.signal))
        .slice(0, TOP)
        .map((r) => r.value);
      const total = await count(filter);
      const per = await Promise.all(top.map((n) => count({ ...filter, event: { name: [n] } })));
      const buckets = total.map((b, i) => {
        const counts: Record<string, number> = {};
        let named = 0;
        per.forEach((series, k) => {
          counts[top[k]] = series[i]?.count ?? 0;
          named += counts[top[k]];
        });
        counts['(other)'] = b.count - named;
        return { start: Date.parse(b.start_time), end: Date.parse(b.end_time), counts };
      });
      setChart({ buckets, names: [...top, '(other)'] });
    })().catch((e) => ctl.signal.aborted || setError(e));
    return () => ctl.abort();
  }, [key, eventsPerPage.value]);

  useEventStream([''], () => setFresh((n) => n + 1), live);

  const loadMore = async () => {
    if (!next) return;
    try {
      const pg = await request<Page>('GET', next);
      setMore((m) => [...m, ...pg.events]);
      setNext(pg.next_page);
    } catch (e) {
      setError(e);
    }
  };
  const events = [...(page?.events ?? []), ...more];

  return (
    <section class={runId ? 'events-tab' : 'page events-page'}>
      {!runId && (
        <header class="page-header">
          <h1>Events</h1>
          <span class="count">{page ? `${page.total.toLocaleString()} events` : ''}</span>
        </header>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Event filters">
        <UrlSearch label="Event" name="event" placeholder="prefect.flow-run." />
        <UrlSearch label="Resource" name="resource" placeholder="resource id prefix" />
        <UrlSearch label="Related" name="related" placeholder="related resource id" />
        <UrlSearch label="Text" name="text" />
        <WindowSelect ranges={RANGES} fallback="24h" />
        <label>
          Per page
          <select value={eventsPerPage.value} onChange={(e) => (eventsPerPage.value = e.currentTarget.value as '50')}>
            {['25', '50', '100', '200'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={live}
            onChange={(e) => setParams({ live: e.currentTarget.checked ? '1' : undefined })}
          />
          live
        </label>
      </form>
      <Histogram
        label="Events over the window by name"
        buckets={chart.buckets}
        series={chart.names.map((n, i) => ({
          key: n,
          label: n,
          className: SERIES_CLASSES[Math.min(i, SERIES_CLASSES.length - 1)],
        }))}
        format={(ms) => formatTime(new Date(ms).toISOString())}
        onSelect={(from, to) =>
          setParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), range: undefined })
        }
      />
      <p class="legend">
        {chart.names.map((n, i) => (
          <span key={n} class="legend-item">
            <span class={`swatch ${SERIES_CLASSES[Math.min(i, SERIES_CLASSES.length - 1)]}`} /> {n}
          </span>
        ))}
      </p>
      {fresh > 0 && (
        <button
          type="button"
          class="pill"
          onClick={() => {
            setNow(Date.now());
            setFresh(0);
          }}
        >
          {fresh} new event{fresh === 1 ? '' : 's'}
        </button>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      {!page && !error && <Loading what="events" />}
      {page && events.length === 0 && <Empty>No events in this window match these filters.</Empty>}
      <ol class="event-list">
        {events.map((e) => {
          const run = runOf(e.resource['prefect.resource.id']);
          return (
            <li key={e.id}>
              <button type="button" class="event-row" onClick={() => setOpen(e)} aria-haspopup="dialog" data-row>
                <span class="event-time">{formatTime(e.occurred, true)}</span>
                <span class="event-name">{e.event}</span>
                <span class="event-resource">
                  {e.resource['prefect.resource.name'] ?? e.resource['prefect.resource.id']}
                </span>
              </button>
              {run && (
                <a class="event-run" href={`/runs/${run}`}>
                  run
                </a>
              )}
            </li>
          );
        })}
      </ol>
      {next && (
        <button type="button" onClick={loadMore}>
          More events
        </button>
      )}
      {open && (
        <div class="drawer" role="dialog" aria-modal="true" aria-label={`Event ${open.event}`}>
          <header>
            <h2>{open.event}</h2>
            <button type="button" onClick={() => setOpen(undefined)} aria-label="Close the event">
              ×
            </button>
          </header>
          <p>
            {[open.resource, ...open.related]
              .map((r) => runOf(r['prefect.resource.id']))
              .filter(Boolean)
              .map((id) => (
                <a key={id} href={`/runs/${id}`}>
                  flow run {id}
                </a>
              ))}
          </p>
          <pre>{JSON.stringify(open, null, 2)}</pre>
        </div>
      )}
    </section>
  );
}
