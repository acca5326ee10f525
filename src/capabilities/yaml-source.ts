/** A parsed YAML file that can say on which line any element sits, and collect problems there. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Problem } from './model.ts';

export type Path = (string | number)[];

export class Source {
  readonly file: string;
  readonly problems: Problem[] = [];
  /** The document as plain data, or undefined when it does not parse. */
  readonly data: unknown;
  private readonly doc: ReturnType<typeof parseDocument>;
  private readonly lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const e of this.doc.errors) {
      const line = e.linePos?.[0]?.line ?? 1;
      this.problems.push({ file, line, severity: 'error', message: `YAML syntax error: ${firstLine(e.message)}` });
    }
    this.data = this.doc.errors.length ? undefined : this.doc.toJS();
  }

  /** The line of the deepest element of `path` that exists (a map entry's key line). */
  lineOf(path: Path): number {
    let node: unknown = this.doc.contents;
    let line = this.rangeLine(node) ?? 1;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) break;
        line = this.rangeLine(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (!item) break;
        line = this.rangeLine(item) ?? line;
        node = item;
      } else break;
    }
    return line;
  }

  error(path: Path, message: string): void {
    this.problems.push({ file: this.file, line: this.lineOf(path), severity: 'error', message });
  }

  warn(path: Path, message: string, opts: { convention?: boolean } = {}): void {
    const problem: Problem = { file: this.file, line: this.lineOf(path), severity: 'warning', message };
    if (opts.convention) problem.convention = true;
    this.problems.push(problem);
  }

  private rangeLine(node: unknown): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.severity}: ${p.message}`;
}
