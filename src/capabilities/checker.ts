/** Checks shared by the capability file validators: problems reported on their line, some once per file. */
import type { Path, Source } from './yaml-source.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Per-file state: problems go to the source; some warnings are reported once per kind. */
export class Checker {
  readonly src: Source;
  private readonly warned = new Set<string>();

  constructor(src: Source) {
    this.src = src;
  }

  error(path: Path, msg: string): undefined {
    this.src.error(path, msg);
    return undefined;
  }

  /** A generator convention (`Problem.convention`), reported once per kind and file. */
  conventionOnce(kind: string, path: Path, msg: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.src.warn(path, msg, { convention: true });
  }

  obj(v: unknown, path: Path, what: string): Obj | undefined {
    if (isObj(v)) return v;
    return this.error(path, `${what} must be a mapping.`);
  }

  list(v: unknown, path: Path, what: string): unknown[] | undefined {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    return this.error(path, `${what} must be a list.`);
  }

  /**
   * The mappings listed at `o[key]`, each with its path: a missing list is empty, and an item that
   * is not a mapping is reported (as `what`) and skipped.
   */
  *mappings(o: Obj, key: string, path: Path, what: string): Generator<[Obj, Path]> {
    for (const [i, v] of (this.list(o[key], [...path, key], `'${key}'`) ?? []).entries()) {
      const itemPath: Path = [...path, key, i];
      const item = this.obj(v, itemPath, what);
      if (item) yield [item, itemPath];
    }
  }

  str(o: Obj, key: string, path: Path, what: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return required ? this.error(path, `${what} needs a '${key}'.`) : undefined;
    if (typeof v !== 'string') return this.error([...path, key], `'${key}' of ${what} must be a string.`);
    return v;
  }

  unsupported(o: Obj, keys: string[], path: Path, what: string): boolean {
    let bad = false;
    for (const k of keys) {
      if (o[k] === undefined) continue;
      this.error([...path, k], `'${k}' in ${what} is not supported by Sightline's engine (see docs/capabilities.md).`);
      bad = true;
    }
    return bad;
  }

  port(o: Obj, path: Path, what: string): number | undefined {
    const p = o.port;
    if (p === undefined) return this.error(path, `${what} needs a 'port'.`);
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535)
      return this.error([...path, 'port'], `'port' of ${what} must be an integer from 0 to 65535.`);
    return p;
  }
}
