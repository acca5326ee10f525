/**
 * The waterfall's tree: spans loaded level by level (a node's children on expand, through the
 * trace's cursors), flattened into the visible rows, mapped tasks grouped, and the two paths the
 * view highlights — the failing path and the critical path; the state changes of the spans shown,
 * read a screenful at a time.
 */
import { api } from '../api.ts';

export interface Span {
  span_id: string;
  trace_id: string;
  parent_span_id: string | null;
  start_time: string | null;
  end_time: string | null;
  name: string;
  span_type: string;
  state_type: string | null;
  state_name: string | null;
  attributes: Record<string, unknown>;
  tags: string[];
  has_children: boolean;
  child_count: number;
  child_state_counts: Record<string, Record<string, number>>;
}

/** A state a span's run entered (its marker on the bar). */
export interface StateChange {
  type: string;
  name: string;
  timestamp: string;
}

/** A span's latest state changes, oldest first, and how many states it has in all. */
export interface StateChanges {
  states: StateChange[];
  total: number;
}

/** Most spans one state-changes request names (the server's limit). */
const CHANGES_PER_REQUEST = 200;

export interface Node {
  span: Span;
  depth: number;
  /** Undefined until read. */
  children?: string[];
  loading?: boolean;
}

/** A visible row: a span, or a group of mapped tasks (`extract-0`, `extract-1`, …) under one parent. */
export type Row =
  | { kind: 'span'; id: string; depth: number }
  | { kind: 'group'; id: string; depth: number; label: string; members: string[] };

const FAILED = new Set(['FAILED', 'CRASHED']);

export class TraceTree {
  readonly nodes = new Map<string, Node>();
  readonly expanded = new Set<string>();
  /** Groups of mapped tasks that are open (by group id). */
  readonly openGroups = new Set<string>();
  /** Spans' state changes once read (none: an empty list). */
  readonly changes = new Map<string, StateChanges>();
  /** Spans whose state changes are read or being read. */
  readonly #askedChanges = new Set<string>();

  constructor(
    readonly traceId: string,
    readonly rootId: string,
  ) {}

  /** Reads the root span and its children. */
  async load(): Promise<void> {
    const root = await api<Span>('GET', `/traces/${this.traceId}/spans/${this.rootId}`);
    this.nodes.set(root.span_id, { span: root, depth: 0 });
    await this.expand(root.span_id);
  }

  /** Reads a node's children (every page of the cursor) once, and opens it. */
  async expand(id: string): Promise<void> {
    const node = this.nodes.get(id);
    if (!node) return;
    this.expanded.add(id);
    if (node.children || !node.span.has_children) return;
    node.loading = true;
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `cursor=${encodeURIComponent(cursor)}&limit=1000` : `parent_span_id=${id}&limit=1000`;
      const page: { spans: Span[]; next_cursor: string | null } = await api('GET', `/traces/${this.traceId}?${q}`);
      for (const s of page.spans) {
        this.nodes.set(s.span_id, { span: s, depth: node.depth + 1 });
        ids.push(s.span_id);
      }
      cursor = page.next_cursor;
    } while (cursor);
    node.children = ids;
    node.loading = false;
  }

  /**
   * Reads the state changes of the spans among `ids` not asked for yet (artifacts have none);
   * resolves true when some arrived. On failure they may be asked for again.
   */
  async loadChanges(ids: string[]): Promise<boolean> {
    const missing = ids.filter(
      (id) => !this.#askedChanges.has(id) && this.nodes.get(id)?.span.span_type !== 'artifact',
    );
    for (const id of missing) this.#askedChanges.add(id);
    try {
      for (let i = 0; i < missing.length; i += CHANGES_PER_REQUEST) {
        const part = missing.slice(i, i + CHANGES_PER_REQUEST);
        const got = await api<Record<string, StateChanges>>('POST', `/sightline/traces/${this.traceId}/state-changes`, {
          span_ids: part,
        });
        for (const id of part) this.changes.set(id, got[id] ?? { states: [], total: 0 });
      }
    } catch (e) {
      for (const id of missing) if (!this.changes.has(id)) this.#askedChanges.delete(id);
      throw e;
    }
    return missing.length > 0;
  }

  collapse(id: string): void {
    this.expanded.delete(id);
  }

  /** Opens every node, reading what is missing level by level (bounded by `max` spans). */
  async expandAll(max = 20_000): Promise<void> {
    let frontier = [this.rootId];
    while (frontier.length && this.nodes.size < max) {
      const next: string[] = [];
      for (const id of frontier) {
        await this.expand(id);
        next.push(...(this.nodes.get(id)?.children ?? []).filter((c) => this.nodes.get(c)?.span.has_children));
      }
      frontier = next;
    }
  }

  /** Closes every node whose span completed (the work that needs no attention). */
  collapseCompleted(): void {
    for (const id of [...this.expanded])
      if (this.nodes.get(id)?.span.state_type === 'COMPLETED' && id !== this.rootId) this.expanded.delete(id);
  }

  /** The rows shown: depth-first through open nodes; runs of mapped siblings become one group row. */
  rows(): Row[] {
    const out: Row[] = [];
    const walk = (id: string) => {
      const node = this.nodes.get(id)!;
      out.push({ kind: 'span', id, depth: node.depth });
      if (!this.expanded.has(id) || !node.children) return;
      for (const item of groupMapped(node.children.map((c) => this.nodes.get(c)!.span))) {
        if (typeof item === 'string') walk(item);
        else {
          const gid = `${id}/${item.label}`;
          out.push({ kind: 'group', id: gid, depth: node.depth + 1, label: item.label, members: item.members });
          if (this.openGroups.has(gid)) for (const m of item.members) walk(m);
        }
      }
    };
    walk(this.rootId);
    return out;
  }

  /** Loaded spans that failed, and every ancestor of one: the path to look at. */
  failingPath(): Set<string> {
    const out = new Set<string>();
    for (const n of this.nodes.values()) {
      if (!FAILED.has(n.span.state_type ?? '')) continue;
      for (
        let id: string | null = n.span.span_id;
        id && !out.has(id);
        id = this.nodes.get(id)?.span.parent_span_id ?? null
      )
        out.add(id);
    }
    return out;
  }

  /**
   * The critical path among the loaded spans: from the root, repeatedly the child that ended last
   * (the one the parent's end waited for), down to a leaf.
   */
  criticalPath(now: number): Set<string> {
    const out = new Set<string>();
    const end = (s: Span) => (s.end_time ? Date.parse(s.end_time) : s.start_time ? now : Number.NEGATIVE_INFINITY);
    for (let id: string | undefined = this.rootId; id; ) {
      out.add(id);
      const kids: string[] = this.nodes.get(id)?.children ?? [];
      let best: string | undefined;
      for (const c of kids) {
        const s = this.nodes.get(c)!.span;
        if (s.span_type === 'artifact' || !s.start_time) continue;
        if (!best || end(s) > end(this.nodes.get(best)!.span)) best = c;
      }
      id = best;
    }
    return out;
  }

  /** The time range of the loaded spans (ms), running spans reaching `now`. */
  extent(now: number): { from: number; to: number } {
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const { span } of this.nodes.values()) {
      if (!span.start_time) continue;
      from = Math.min(from, Date.parse(span.start_time));
      to = Math.max(to, span.end_time ? Date.parse(span.end_time) : now);
    }
    if (!Number.isFinite(from)) return { from: now - 1000, to: now };
    return { from, to: Math.max(to, from + 1) };
  }
}

/**
 * Sibling task runs named `<task>-<key>` (Prefect names a task run after its task and dynamic key)
 * that share a task are runs of one task, mapped or called repeatedly: two or more become a group
 * (in the place of the first); every other span stays a row of its own.
 */
export function groupMapped(spans: Span[]): (string | { label: string; members: string[] })[] {
  const byTask = new Map<string, string[]>();
  const taskOf = (s: Span) => (s.span_type === 'task-run' ? /^(.*)-[^-]+$/.exec(s.name)?.[1] : undefined);
  for (const s of spans) {
    const t = taskOf(s);
    if (t) byTask.set(t, [...(byTask.get(t) ?? []), s.span_id]);
  }
  const out: (string | { label: string; members: string[] })[] = [];
  const placed = new Set<string>();
  for (const s of spans) {
    const t = taskOf(s);
    const members = t ? byTask.get(t)! : [];
    if (t && members.length > 1) {
      if (!placed.has(t)) {
        placed.add(t);
        out.push({ label: t, members });
      }
    } else out.push(s.span_id);
  }
  return out;
}
