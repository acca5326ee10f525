/**
 * `get-trace-tree`: a run's whole trace as a tree, depth first with children by start time.
 * `expand=failed` folds every subtree where nothing failed or crashed into its top node; more
 * than `GROUP_MIN` siblings of one name (mapped tasks: `write-rows-1`, `write-rows-2`, …) in one
 * state fold into one node with `group_count`.
 */

import { cutMessage } from '../../domain/agent/text.ts';
import type { TraceTreeInput } from '../../domain/agent/tools.ts';
import type { SpanOutline } from '../../domain/spans/span.ts';
import { formatNullable, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { makeCursor, readCursor } from './cursors.ts';
import { fit } from './fit.ts';
import { stateMessages } from './log-lines.ts';
import { durationSeconds, resolveFlowRun } from './runs.ts';

/** Spans of one trace read (the largest traces are listed up to here). */
const TRACE_SPANS_MAX = 50_000;
const GROUP_MIN = 11;
/** Failed nodes whose state message is looked up, per answer. */
const MESSAGES_MAX = 50;

type Obj = Record<string, unknown>;

interface Node {
  span: SpanOutline;
  children: Node[];
  /** Descendants (not the node itself). */
  count: number;
  states: Record<string, number>;
  failedBelow: boolean;
}

const isFailed = (s: SpanOutline) => s.state_type === 'FAILED' || s.state_type === 'CRASHED';
const stateKey = (s: SpanOutline) => s.state_name ?? s.state_type ?? 'none';
/** Mapped task runs differ by a numeric or short suffix. */
const groupName = (s: SpanOutline) => (s.span_type === 'task-run' ? s.name.replace(/-(\d+|[0-9a-f]{3})$/, '') : s.name);

function buildTree(spans: SpanOutline[], traceId: string): Node | undefined {
  const nodes = new Map(
    spans.map((s) => [s.span_id, { span: s, children: [], count: 0, states: {}, failedBelow: false } as Node]),
  );
  let root: Node | undefined;
  for (const n of nodes.values()) {
    const parent = n.span.parent_span_id ? nodes.get(n.span.parent_span_id) : undefined;
    if (parent) parent.children.push(n);
    else if (!root || n.span.span_id === traceId) root = n;
  }
  // Deepest first, so that children are summed before their parents.
  for (const n of [...nodes.values()].sort((a, b) => b.span.depth - a.span.depth))
    for (const c of n.children) {
      n.count += 1 + c.count;
      n.states[stateKey(c.span)] = (n.states[stateKey(c.span)] ?? 0) + 1;
      for (const [k, v] of Object.entries(c.states)) n.states[k] = (n.states[k] ?? 0) + v;
      if (isFailed(c.span) || c.failedBelow) n.failedBelow = true;
    }
  return root;
}

/** A line as the tool returns it; a folded line counts what it hides. */
function nodeOut(line: Line, tags: string[], now: number): Obj {
  const { node, depth, folded, group } = line;
  const s = node.span;
  let hidden: { count: number; state_counts: Record<string, number> } | null = null;
  if (folded) {
    hidden = { count: 0, state_counts: {} };
    const add = (k: string, v: number) => {
      hidden!.state_counts[k] = (hidden!.state_counts[k] ?? 0) + v;
    };
    for (const c of folded) {
      // A group hides its members and what is under them; a collapsed node, what is under it.
      hidden.count += c.count + (group > 1 ? 1 : 0);
      for (const [k, v] of Object.entries(c.states)) add(k, v);
      if (group > 1) add(stateKey(c.span), 1);
    }
    if (hidden.count === 0 && group === 1) hidden = null;
  }
  return {
    span_id: s.span_id,
    parent_span_id: s.parent_span_id,
    depth,
    name: group > 1 ? groupName(s) : s.name,
    span_type: s.span_type,
    state_type: s.state_type,
    state_name: s.state_name,
    start_time: formatNullable(s.start_time),
    duration_s: durationSeconds(s, now),
    tags,
    collapsed: hidden !== null,
    collapsed_descendants: hidden,
    group_count: group,
  };
}

/** One line of the tree: a node, or a group of siblings (`members`), before it is rendered. */
interface Line {
  node: Node;
  depth: number;
  /** Folded into this line: the node itself (a collapsed subtree) or a group's members. */
  folded?: Node[];
  group: number;
}

/** The tree's lines in order; only the page asked for is rendered (`nodeOut`). */
function walk(root: Node, input: TraceTreeInput): Line[] {
  const out: Line[] = [];
  const visit = (n: Node, depth: number) => {
    const fold =
      n.children.length > 0 &&
      ((input.expand === 'failed' && !n.failedBelow) || (input.max_depth !== undefined && depth >= input.max_depth));
    out.push({ node: n, depth, folded: fold ? [n] : undefined, group: 1 });
    if (fold) return;
    const key = (c: Node) => `${c.span.span_type}\u0000${groupName(c.span)}\u0000${stateKey(c.span)}`;
    const groups = new Map<string, Node[]>();
    for (const c of n.children) {
      const g = groups.get(key(c));
      if (g) g.push(c);
      else groups.set(key(c), [c]);
    }
    const emitted = new Set<string>();
    for (const c of n.children) {
      const k = key(c);
      const g = groups.get(k)!;
      if (g.length < GROUP_MIN) visit(c, depth + 1);
      else if (!emitted.has(k)) {
        emitted.add(k);
        out.push({ node: c, depth: depth + 1, folded: g, group: g.length });
      }
    }
  };
  visit(root, 0);
  return out;
}

export async function traceTree(ctx: OpContext, input: TraceTreeInput, maxChars?: number): Promise<Obj> {
  const store = storeOf(ctx.services);
  const run = await resolveFlowRun(ctx, 'flow_run_id', input.flow_run_id);
  const own = await store.spans.get(ctx.workspace.id, run.run.id);
  const traceId = own?.trace_id ?? run.run.id;
  const spans = await store.traces.outline(ctx.workspace.id, traceId, TRACE_SPANS_MAX);
  const root = buildTree(spans, traceId);
  if (!root) return { trace_id: traceId, total_spans: 0, nodes: [], next_cursor: null };
  const lines = walk(root, input);
  const offset = input.cursor ? readCursor<{ o: number }>(ctx, 'get-trace-tree', 'cursor', input.cursor).o : 0;
  const page = lines.slice(offset, offset + input.max_nodes);
  const failed = page.filter((l) => isFailed(l.node.span)).slice(0, MESSAGES_MAX);
  const messages = await stateMessages(
    ctx,
    failed.map((l) => l.node.span),
  );
  // Tags only for the lines returned: the outline leaves them out.
  const full = await store.spans.getMany(
    ctx.workspace.id,
    traceId,
    page.map((l) => l.node.span.span_id),
  );
  const tags = new Map(full.map((s) => [s.span_id, s.tags]));
  const now = nowMicros();
  const nodes = page.map((l) => {
    const n = nodeOut(l, tags.get(l.node.span.span_id) ?? [], now);
    return messages.has(l.node.span.span_id) ? { ...n, ...cutMessage(messages.get(l.node.span.span_id)!) } : n;
  });
  const after = (n: number) =>
    offset + n < lines.length ? makeCursor(ctx, 'get-trace-tree', { o: offset + n }) : null;
  return fit(
    { trace_id: traceId, total_spans: spans.length, nodes, next_cursor: after(nodes.length) },
    {
      key: 'nodes',
      maxChars,
      keep: 'head',
      continueAfter: (kept) => {
        const cursor = after(kept.length);
        return { next_cursor: cursor, ...(cursor ? { next: { ...input, cursor } } : {}) };
      },
    },
  );
}
