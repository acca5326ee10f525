/**
 * Keeps an agent tool's answer within `--mcp-max-chars`: its list is cut at a whole item and the
 * answer says `truncated`, `returned` and how to continue (`next`: the arguments of the call that
 * resumes at the first item not returned, and the tool's own cursor fields set to match).
 */
import { shrink } from '../../lib/json-shrink.ts';

type Obj = Record<string, unknown>;

export interface FitOptions<T> {
  /** The list member to cut. */
  key: string;
  maxChars: number | undefined;
  /** Keep the first items (lists read forward) or the last ones (`tail-logs`: the end matters). */
  keep: 'head' | 'tail';
  /** The fields that continue after a cut which kept `kept`: cursors, and `next` arguments. */
  continueAfter(kept: T[]): Obj;
  /** When not even one item fits: an empty list (other lists will be cut too), not a shortened item. */
  allowEmpty?: boolean;
}

export function fit<T>(out: Obj, opts: FitOptions<T>): Obj {
  if (opts.maxChars === undefined || JSON.stringify(out).length <= opts.maxChars) return out;
  const list = out[opts.key] as T[];
  const build = (kept: T[]) => ({
    ...out,
    [opts.key]: kept,
    ...opts.continueAfter(kept),
    truncated: true,
    returned: kept.length,
  });
  let used = JSON.stringify(build([])).length;
  const ordered = opts.keep === 'head' ? list : [...list].reverse();
  let n = 0;
  for (const item of ordered) {
    const size = JSON.stringify(item).length + (n ? 1 : 0);
    if (used + size > opts.maxChars) break;
    used += size;
    n++;
  }
  // The cursors of a cut answer are longer than those of the whole one: check and shrink.
  for (; n > 0; n--) {
    const kept = opts.keep === 'head' ? list.slice(0, n) : list.slice(list.length - n);
    const answer = build(kept);
    if (JSON.stringify(answer).length <= opts.maxChars) return answer;
  }
  // Not even one item fits: the next one, its longest strings shortened, so the answer advances.
  if (!list.length || opts.allowEmpty) return build([]);
  const next = opts.keep === 'head' ? list[0] : list[list.length - 1];
  const room = opts.maxChars - JSON.stringify(build([next])).length + JSON.stringify(next).length;
  return build([shrink(next, room) as T]);
}

/**
 * Fits an answer that holds several lists, none of which pages (a diagnosis, a comparison): each
 * list in `keys`, in turn, is cut at a whole item until the answer fits (`returned` then counts
 * the items of the last list cut); `hint` says where the rest can be read.
 */
export function fitLists(out: Obj, keys: string[], maxChars: number | undefined, hint: string): Obj {
  let answer = out;
  for (const key of keys) {
    if (maxChars === undefined || JSON.stringify(answer).length <= maxChars) break;
    answer = fit(answer, { key, maxChars, keep: 'head', allowEmpty: true, continueAfter: () => ({ hint }) });
  }
  return answer;
}
