/**
 * `npm run build:ui`: builds the web UI (src/ui) with Vite into dist/ui, writes a gzip copy of
 * every text file beside it (the server sends those as they are), and fails when the JavaScript
 * the first page loads weighs more than 150 KB gzipped.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const BUDGET = 150 * 1024;
const out = new URL('../dist/ui/', import.meta.url).pathname;

await build({ configFile: new URL('../src/ui/vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });

let firstPageJs = 0;
const html = readFileSync(join(out, 'index.html'), 'utf8');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
for (const file of walk(out)) {
  if (!/\.(js|css|html|svg|json|txt)$/.test(file)) continue;
  const gz = gzipSync(readFileSync(file), { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  const name = file.slice(out.length);
  // Every script the page names (entry and preloaded chunks) is first-page JavaScript.
  if (name.endsWith('.js') && html.includes(name)) firstPageJs += gz.length;
}
process.stdout.write(
  `web UI built into dist/ui: first-page JavaScript ${(firstPageJs / 1024).toFixed(1)} KB gzipped\n`,
);
if (firstPageJs > BUDGET) {
  process.stderr.write(`web UI over budget: ${(firstPageJs / 1024).toFixed(1)} KB > ${BUDGET / 1024} KB gzipped\n`);
  process.exit(1);
}
