/**
 * The layering, checked from the imports of every source file (tests aside):
 * adapters (src/api, src/capabilities, src/cli) → operations (src/ops, with the ingest pipeline
 * beneath them) → store contract (src/store/contract.ts) → domain (src/domain). The composition
 * root (src/main.ts) and `store/open.ts` wire implementations together; no engine imports the
 * other; the domain imports nothing of ours but `src/lib` (generic code that knows nothing of
 * Sightline, such as the validation library, and imports nothing); only operations reach the
 * store (`storeOf`); and the web UI (src/ui, a browser bundle) imports nothing outside itself.
 */
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { it } from 'node:test';

type Layer =
  | 'adapter'
  | 'cli'
  | 'main'
  | 'config'
  | 'ops'
  | 'ingest'
  | 'contract'
  | 'engine:sqlite'
  | 'engine:postgres'
  | 'store'
  | 'store-open'
  | 'conformance'
  | 'domain'
  | 'lib'
  | 'ui';

function layerOf(file: string): Layer {
  const [top, sub] = file.split('/');
  if (file === 'main.ts') return 'main';
  if (top === 'cli') return 'cli';
  if (top === 'api' || top === 'capabilities') return 'adapter';
  if (top === 'config') return 'config';
  if (top === 'ops') return 'ops';
  if (top === 'ingest') return 'ingest';
  if (top === 'domain') return 'domain';
  if (top === 'lib') return 'lib';
  if (top === 'ui') return 'ui';
  if (file === 'store/contract.ts') return 'contract';
  if (file === 'store/open.ts') return 'store-open';
  if (sub === 'sqlite') return 'engine:sqlite';
  if (sub === 'postgres') return 'engine:postgres';
  if (sub === 'conformance') return 'conformance';
  if (top === 'store') return 'store';
  throw new Error(`src/${file} is in no layer: add its folder to test/architecture.test.ts`);
}

const BELOW_OPS: Layer[] = ['ingest', 'contract', 'domain', 'config', 'lib'];
const ENGINE_SHARED: Layer[] = ['contract', 'store', 'domain', 'lib'];
/** What each layer may import besides itself. */
const ALLOWED: Record<Layer, Layer[]> = {
  main: ['adapter', 'cli', 'config', 'ops', 'ingest', 'contract', 'store-open', 'domain', 'lib'],
  cli: ['adapter', 'main', 'config', 'ops', 'domain', 'lib'],
  adapter: ['config', 'ops', 'domain', 'lib'],
  config: ['domain', 'lib'],
  ops: BELOW_OPS,
  ingest: ['contract', 'domain', 'lib'],
  contract: ['domain', 'lib'],
  'store-open': ['contract', 'engine:sqlite', 'engine:postgres', 'domain', 'lib'],
  'engine:sqlite': ENGINE_SHARED,
  'engine:postgres': ENGINE_SHARED,
  store: ['contract', 'domain', 'lib'],
  conformance: ['contract', 'domain', 'lib'],
  domain: ['lib'],
  lib: [],
  // The web UI is a browser bundle: it talks to the server over HTTP only.
  ui: [],
};

const SRC = 'src';

interface Edge {
  from: string;
  to: string;
  names: string;
}

function importsOf(file: string): Edge[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const out: Edge[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s+(type\s+)?([^'"]*?)\s*from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4];
    out.push({ from: file, to: normalize(join(dirname(file), spec)), names: m[2] ?? '' });
  }
  return out;
}

const files = globSync('**/*.{ts,tsx}', { cwd: SRC }).filter((f) => !f.endsWith('.test.ts'));
const edges = files.flatMap(importsOf);

it('every import points down the layers', () => {
  const broken: string[] = [];
  for (const e of edges) {
    if (e.to.startsWith('..')) {
      broken.push(`src/${e.from} imports ${e.to}, outside src/`);
      continue;
    }
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (from !== to && !ALLOWED[from].includes(to)) broken.push(`src/${e.from} (${from}) imports src/${e.to} (${to})`);
  }
  assert.deepEqual(broken, []);
});

it('only operations and the composition root reach the store', () => {
  const broken = edges
    .filter((e) => e.to === 'ops/context.ts' && /\b(storeOf|withStore)\b/.test(e.names))
    .filter((e) => layerOf(e.from) !== 'ops' && !(e.from === 'main.ts' && !/\bstoreOf\b/.test(e.names)))
    .map((e) => `src/${e.from} imports ${e.names.trim()} from src/ops/context.ts`);
  assert.deepEqual(broken, []);
});

it('finds the imports it checks (the parser has not gone blind)', () => {
  assert.ok(files.length > 150, `${files.length} files`);
  assert.ok(edges.length > 500, `${edges.length} imports`);
  assert.ok(edges.some((e) => e.from === 'api/router.ts' && e.to === 'ops/context.ts'));
  assert.equal(relative('.', 'src'), SRC);
});
