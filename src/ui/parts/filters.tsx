/** Filter controls whose value lives in the URL: a search field, and a time window. */
import { params, setParams } from '../router.ts';

/** A labelled search field bound to the URL parameter `name`. */
export function UrlSearch({ label, name, placeholder }: { label: string; name: string; placeholder?: string }) {
  return (
    <label>
      {label}
      <input
        type="search"
        value={params().get(name) ?? ''}
        placeholder={placeholder}
        onChange={(e) => setParams({ [name]: e.currentTarget.value })}
      />
    </label>
  );
}

/** Preset windows, in seconds back from now. */
export type Ranges = Record<string, number>;

/**
 * The window the URL asks for: `from`/`to` (ISO) when both are set, else the preset `range`
 * (`fallback` when unset), ending now plus `ahead` ms (runs scheduled soon belong in it).
 */
export function windowOf(p: URLSearchParams, now: number, ranges: Ranges, fallback: string, ahead = 0) {
  const from = Date.parse(p.get('from') ?? '');
  const to = Date.parse(p.get('to') ?? '');
  if (!Number.isNaN(from) && !Number.isNaN(to) && to > from) return { from, to };
  const seconds = ranges[p.get('range') ?? fallback] ?? ranges[fallback];
  return { from: now - seconds * 1000, to: now + ahead };
}

/** The preset windows, and "custom" while a brushed `from`/`to` is in the URL. */
export function WindowSelect({ ranges, fallback }: { ranges: Ranges; fallback: string }) {
  const p = params();
  return (
    <label>
      Window
      <select
        value={p.get('from') ? 'custom' : (p.get('range') ?? fallback)}
        onChange={(e) => setParams({ range: e.currentTarget.value, from: undefined, to: undefined })}
      >
        {Object.keys(ranges).map((r) => (
          <option key={r} value={r}>
            last {r}
          </option>
        ))}
        {p.get('from') && <option value="custom">custom</option>}
      </select>
    </label>
  );
}
