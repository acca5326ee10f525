/**
 * Loads every capability file of the project's `capabilities/` folder plus any given paths,
 * validates them, applies the Prefect Cloud parameter corrections and checks what the files
 * must agree on together. Errors stop start-up with one line per problem (file:line: sentence);
 * warnings are returned for the start-up log.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../domain/errors.ts';
import type { Capability, CapabilitySet, ConsumedOperation, Problem } from './model.ts';
import { nativeParams, nativeResponses } from './native-params.ts';
import { PREFECT_CLOUD } from './prefect-cloud.ts';
import { correctSeedTool } from './seed-overlay.ts';
import { buildCapability } from './validate.ts';
import { formatProblem, Source } from './yaml-source.ts';

/** The capability files shipped with Sightline (`capabilities/` next to `src/` and `dist/`). */
export const BUILTIN_DIR = fileURLToPath(new URL('../../capabilities/', import.meta.url));

export class CapabilityLoadError extends AppError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      'invalid_input',
      `capability files have ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
    );
    this.problems = problems;
  }
}

function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Directories contribute their *.yaml / *.yml files; a missing path is an error. */
export function listCapabilityFiles(
  paths: readonly string[],
  opts: { builtin?: boolean } = {},
): { files: string[]; problems: Problem[] } {
  const files: string[] = [];
  const problems: Problem[] = [];
  const roots = [...(opts.builtin === false ? [] : [BUILTIN_DIR]), ...paths.map((p) => resolve(p))];
  for (const p of roots) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      problems.push({ file: p, line: 1, severity: 'error', message: 'No such capability file or directory.' });
      continue;
    }
    for (const f of isDir ? yamlFilesIn(p) : [p]) if (!files.includes(f)) files.push(f);
  }
  return { files, problems };
}

const typeOf = (s: Record<string, unknown>) => String(s.type);

/**
 * Adds the Cloud document's notes and paging hints; with `derive`, replaces the generator's
 * parameter schemas by the native operation's (the ones that validate the call) and takes its
 * documented answers. Returns what changed type.
 */
function applyCloudFacts(op: ConsumedOperation, derive: boolean): string[] {
  const facts = PREFECT_CLOUD[`${op.method} ${op.path}`];
  if (facts) {
    op.notes = facts.notes;
    op.paging = facts.paging;
  }
  // Every Cloud route's account and workspace are UUIDs, whatever a file declares: checked before a
  // URL is built (`invoke.ts`), so that `..` or a slash can never turn a call into another route.
  for (const p of op.params)
    if ((p.name === 'account_id' || p.name === 'workspace_id') && op.path.startsWith('/api/accounts/{account_id}'))
      p.schema = { type: 'string', format: 'uuid', description: `The ${p.name.slice(0, -3)} id` };
  if (!derive) return [];
  op.responses = nativeResponses(op.method, op.path);
  const params = nativeParams(op.method, op.path);
  if (!params) return [];
  const changed: string[] = [];
  for (const p of op.params) {
    const schema = params[p.name];
    if (!schema || p.name === 'account_id' || p.name === 'workspace_id') continue;
    if (typeOf(schema) !== typeOf(p.schema))
      changed.push(`${op.method} ${op.path} ${p.name}: ${typeOf(p.schema)} → ${typeOf(schema)}`);
    p.schema = { ...schema };
  }
  return changed;
}

export function loadCapabilities(opts: {
  paths?: readonly string[];
  builtin?: boolean;
  env?: Record<string, string | undefined>;
  /**
   * The shipped files are consumed from the in-process native API (no `--upstream`): their
   * parameter schemas are then the native operations' own.
   */
  nativeApi?: boolean;
}): CapabilitySet {
  const { files, problems } = listCapabilityFiles(opts.paths ?? [], { builtin: opts.builtin });
  const capabilities: Capability[] = [];
  const corrections: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ file, line: 1, severity: 'error', message: `Cannot read the file: ${(err as Error).message}` });
      continue;
    }
    const src = new Source(file, text);
    const cap = src.data === undefined ? undefined : buildCapability(src, opts.env ?? process.env);
    let fileCorrections = 0;
    // Consumed in-process, the shipped files take the native operations' schemas (the ones that
    // validate the call); with an upstream, and for a user's own file, the declared ones hold.
    const derive = opts.nativeApi === true && resolve(file).startsWith(resolve(BUILTIN_DIR));
    if (cap) {
      const seen = new Set<ConsumedOperation>();
      for (const api of cap.consumes)
        for (const op of api.operations) {
          if (seen.has(op)) continue;
          seen.add(op);
          const changed = applyCloudFacts(op, derive);
          for (const line of changed) {
            if (corrections.includes(line)) continue;
            corrections.push(line);
            fileCorrections++;
          }
        }
    }
    // The shipped files' tools: hints, titles and parameter texts corrected (`seed-overlay.ts`).
    if (cap && resolve(file).startsWith(resolve(BUILTIN_DIR)))
      for (const a of cap.mcp) for (const t of a.tools) correctSeedTool(t);
    if (fileCorrections)
      src.warn(
        ['capability', 'consumes'],
        `${fileCorrections} parameter type${fileCorrections === 1 ? '' : 's'} taken from the native API's own schemas (see docs/capabilities.md).`,
        { convention: true },
      );
    problems.push(...src.problems);
    if (cap && !src.problems.some((p) => p.severity === 'error')) capabilities.push(cap);
  }
  checkAcrossFiles(capabilities, problems);
  if (problems.some((p) => p.severity === 'error')) throw new CapabilityLoadError(problems);
  return { capabilities, problems, corrections };
}

/**
 * The problems a start-up report shows: all of them at debug; otherwise not the generator
 * conventions of the shipped files, which Sightline reads as they mean (`Problem.convention`).
 */
export function problemsToReport(problems: readonly Problem[], debug: boolean): Problem[] {
  return problems.filter((p) => debug || !p.convention || !resolve(p.file).startsWith(resolve(BUILTIN_DIR)));
}

/** Tool names must be unique per MCP listener; a REST route declared twice answers from the first. */
function checkAcrossFiles(caps: Capability[], problems: Problem[]): void {
  const tools = new Map<string, { file: string; line: number }>();
  const routes = new Map<string, { file: string; line: number }>();
  for (const cap of caps) {
    for (const a of cap.mcp)
      for (const t of a.tools) {
        const key = `${a.transport === 'http' ? a.port : 'stdio'} ${t.name}`;
        const first = tools.get(key);
        if (first && first.file !== t.where.file)
          problems.push({
            ...t.where,
            severity: 'error',
            message: `Tool '${t.name}' is also declared in ${first.file}:${first.line}; tool names must be unique.`,
          });
        else if (!first) tools.set(key, t.where);
      }
    for (const a of cap.rest)
      for (const r of a.resources)
        for (const op of r.operations) {
          const key = `${a.port} ${op.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`;
          const first = routes.get(key);
          if (first && first.file !== op.where.file)
            problems.push({
              ...op.where,
              severity: 'warning',
              message: `${op.method} ${r.path} is also declared in ${first.file}:${first.line}; the first answers.`,
            });
          else if (!first) routes.set(key, op.where);
        }
  }
}
