/**
 * Engine-neutral helpers for storing and finding events (no SQL): the hash that indexes related
 * resource ids, and the upper bound that turns a prefix into an index range.
 */
import type { EventFilter, NewEvent } from '../../domain/events.ts';

/**
 * The events of one append without later repeats of an id (per tenant): the first one is stored,
 * as a repeat in a later append would be ignored. Every engine applies it, so a batch holding one
 * id twice stores the same event everywhere (PostgreSQL's per-partition unique key alone would
 * keep both when their `occurred` differ).
 */
export function firstOfEachId(events: NewEvent[]): NewEvent[] {
  if (events.length < 2) return events;
  const seen = new Set<string>();
  const out: NewEvent[] = [];
  for (const e of events) {
    const key = `${e.workspaceId ?? `a:${e.accountId}`} ${e.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.length === events.length ? events : out;
}

/** Whether the filter names related resource ids, which every engine finds through `ridHash`. */
export function byRelatedIds(f: EventFilter): boolean {
  return f.related?.some((r) => r.id?.length || r.resources_in_roles?.length) ?? false;
}

/**
 * A 53-bit FNV-1a hash of a related resource id (two 32-bit lanes): the key of every engine's
 * related-resource index. Lookups through it are always re-checked against the event's JSON.
 */
export function ridHash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x050c5d1f);
  }
  return (b >>> 11) * 0x100000000 + (a >>> 0);
}

/** The smallest string greater (in code point order) than every string starting with `prefix`. */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix].map((c) => c.codePointAt(0)!);
  while (cps.length) {
    let last = cps.pop()!;
    if (last < 0x10ffff) {
      last++;
      if (last >= 0xd800 && last <= 0xdfff) last = 0xe000;
      cps.push(last);
      return String.fromCodePoint(...cps);
    }
  }
  return undefined;
}
