/** Shortening a JSON value to a size: what a tool answer does with an item larger than its budget. */

type Obj = Record<string, unknown>;

const MIN_KEPT = 100;

/** The longest string member of `v` (at any depth): its holder and key. */
function longest(v: unknown, best?: { holder: Obj; key: string; len: number }) {
  if (typeof v !== 'object' || v === null) return best;
  for (const [k, x] of Object.entries(v as Obj)) {
    // Longer than what a cut keeps (plus its ellipsis): cutting it again shortens it.
    if (typeof x === 'string' && x.length > (best?.len ?? MIN_KEPT + 1))
      best = { holder: v as Obj, key: k, len: x.length };
    else if (typeof x === 'object') best = longest(x, best);
  }
  return best;
}

/**
 * A copy of `item` whose longest strings are cut (each marked by a sibling `<key>_truncated:
 * true`, or in place inside an array) until its JSON fits `budget` characters or nothing long is
 * left.
 */
export function shrink(item: unknown, budget: number): unknown {
  const copy = structuredClone(item);
  for (let size = JSON.stringify(copy).length; size > budget; size = JSON.stringify(copy).length) {
    const at = longest(copy);
    if (!at) break;
    const keep = Math.min(at.len - 2, Math.max(MIN_KEPT, at.len - (size - budget) - 40));
    at.holder[at.key] = `${(at.holder[at.key] as string).slice(0, keep)}…`;
    if (!Array.isArray(at.holder)) at.holder[`${at.key}_truncated`] = true;
  }
  return copy;
}
