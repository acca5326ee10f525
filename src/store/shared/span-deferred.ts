/**
 * What a span projection gathers during a write and applies at its end: child-count changes per
 * parent span and observed state pairs — and, in a recorder batch, the spans to bring up to date.
 * Applied once per key and in key order, a recorder batch writes each span and each parent once
 * (not once per event: a task's Pending, Running and Completed often come in one batch), and two
 * transactions touching the same parents always lock them in the same order, so they cannot
 * deadlock each other.
 */
import type { StateType } from '../../domain/runs/states.ts';
import type { ChildContribution } from '../../domain/spans/placement.ts';
import type { SpanType } from '../../domain/spans/span.ts';

export interface DeferredParent {
  ws: number;
  parent: string;
  changes: [ChildContribution, 1 | -1][];
}

export interface DeferredState {
  ws: number;
  type: StateType;
  name: string;
  first: number;
  last: number;
}

const key = (...parts: (string | number)[]) => parts.join('\u0000');

export class Deferred {
  private readonly parentChanges = new Map<string, DeferredParent>();
  private readonly observed = new Map<string, DeferredState>();
  private readonly touched = new Map<string, { ws: number; type: SpanType; id: string }>();
  private readonly joining = new Map<number, { spans: Set<string>; runs: Set<string> }>();

  /** A span whose run changed during a batch: brought up to date once, at the batch's end. */
  touch(ws: number, type: SpanType, id: string): void {
    const k = key(ws, id);
    if (!this.touched.has(k)) this.touched.set(k, { ws, type, id });
  }

  /** The touched spans, in the order they were first touched (parents a batch adds come first). */
  spans(): { ws: number; type: SpanType; id: string }[] {
    return [...this.touched.values()];
  }

  /** One child added under `parent` (+1) or taken away (−1). */
  child(ws: number, parent: string, c: ChildContribution, delta: 1 | -1): void {
    const k = key(ws, parent);
    const p = this.parentChanges.get(k);
    if (p) p.changes.push([c, delta]);
    else this.parentChanges.set(k, { ws, parent, changes: [[c, delta]] });
  }

  /** Drops the changes gathered for a span that was just counted from scratch. */
  forget(ws: number, parent: string): void {
    this.parentChanges.delete(key(ws, parent));
  }

  observe(ws: number, s: { type: StateType; name: string; timestamp: number }): void {
    const k = key(ws, s.type, s.name);
    const o = this.observed.get(k);
    if (!o) this.observed.set(k, { ws, type: s.type, name: s.name, first: s.timestamp, last: s.timestamp });
    else {
      if (s.timestamp < o.first) o.first = s.timestamp;
      if (s.timestamp > o.last) o.last = s.timestamp;
    }
  }

  /** Parent changes in (workspace, parent id) order. */
  parents(): DeferredParent[] {
    return [...this.parentChanges.values()].sort(
      (a, b) => a.ws - b.ws || (a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : 0),
    );
  }

  states(): DeferredState[] {
    return [...this.observed.values()].sort(
      (a, b) =>
        a.ws - b.ws ||
        (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  }

  /**
   * An OTel span that may have joined a run (linked, placed or moved: `span`), or a new run span
   * that OTel spans linked to it may have waited for (`run`): log records waiting for those spans
   * are linked at the end (ADR 48).
   */
  mayJoin(ws: number, kind: 'span' | 'run', id: string): void {
    let j = this.joining.get(ws);
    if (!j) this.joining.set(ws, (j = { spans: new Set(), runs: new Set() }));
    (kind === 'span' ? j.spans : j.runs).add(id);
  }

  /** What `mayJoin` gathered, per workspace in key order. */
  joins(): [number, { spans: Set<string>; runs: Set<string> }][] {
    return [...this.joining].sort((a, b) => a[0] - b[0]);
  }

  clear(): void {
    this.parentChanges.clear();
    this.observed.clear();
    this.touched.clear();
    this.joining.clear();
  }
}
