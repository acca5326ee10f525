/**
 * A stacked bar chart of counts over time (runs by state, logs by level) whose brush — a drag
 * across the bars — selects a time range. Plain elements, no chart library: a few hundred bars.
 */
import { useRef, useState } from 'preact/hooks';

export interface Bucket {
  start: number;
  end: number;
  counts: Record<string, number>;
}

interface Props {
  buckets: Bucket[];
  /** Series in stacking order (bottom first), each with its CSS class. */
  series: { key: string; label: string; className: string }[];
  onSelect?: (start: number, end: number) => void;
  label: string;
  format: (ms: number) => string;
}

export function Histogram({ buckets, series, onSelect, label, format }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const max = Math.max(1, ...buckets.map((b) => series.reduce((n, s) => n + (b.counts[s.key] ?? 0), 0)));
  const indexAt = (x: number) => {
    const r = ref.current!.getBoundingClientRect();
    return Math.max(0, Math.min(buckets.length - 1, Math.floor(((x - r.left) / r.width) * buckets.length)));
  };
  const finish = () => {
    if (drag && onSelect) {
      const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
      onSelect(buckets[a].start, buckets[b].end);
    }
    setDrag(null);
  };
  const lo = drag ? Math.min(drag.from, drag.to) : -1;
  const hi = drag ? Math.max(drag.from, drag.to) : -1;
  return (
    <figure class="histogram" aria-label={label}>
      <div
        class="histogram-bars"
        ref={ref}
        onPointerDown={(e) => {
          if (!onSelect || !buckets.length) return;
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          const i = indexAt(e.clientX);
          setDrag({ from: i, to: i });
        }}
        onPointerMove={(e) => drag && setDrag({ ...drag, to: indexAt(e.clientX) })}
        onPointerUp={finish}
      >
        {buckets.map((b, i) => {
          const total = series.reduce((n, s) => n + (b.counts[s.key] ?? 0), 0);
          return (
            <div
              key={b.start}
              class={`histogram-bar${i >= lo && i <= hi ? ' selected' : ''}`}
              data-total={total}
              title={`${format(b.start)} — ${total}\n${series
                .filter((s) => b.counts[s.key])
                .map((s) => `${s.label}: ${b.counts[s.key]}`)
                .join('\n')}`}
            >
              {series.map((s) =>
                b.counts[s.key] ? (
                  <div key={s.key} class={s.className} style={{ height: `${(b.counts[s.key] / max) * 100}%` }} />
                ) : null,
              )}
            </div>
          );
        })}
      </div>
      {buckets.length > 0 && (
        <figcaption class="histogram-axis">
          <span>{format(buckets[0].start)}</span>
          <span>{format(buckets[buckets.length - 1].end)}</span>
        </figcaption>
      )}
    </figure>
  );
}
