/**
 * A Prefect web UI build folder, read once at start-up. Prefect builds its UIs with the base path
 * `/PREFECT_UI_SERVE_BASE_REPLACE_PLACEHOLDER` and its server rewrites a copy of the files on
 * disk; Sightline rewrites the text files that hold it in memory instead, so the user's folder
 * (often inside site-packages) is never written. Other files stay on disk and are read when asked
 * for (source maps alone can be tens of megabytes).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../config/load.ts';

export const PLACEHOLDER = '/PREFECT_UI_SERVE_BASE_REPLACE_PLACEHOLDER';
/** Where Sightline serves the UI; Sightline's own UI keeps `/`. */
export const SERVE_BASE = '/prefect';

/** The text files Prefect's server rewrites. */
const REWRITTEN = new Set(['.html', '.js', '.css', '.json', '.txt']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** Whether a file name extension is one of a static file (a missing one is 404, not the app). */
export const knownType = (ext: string): boolean => Object.hasOwn(TYPES, ext.toLowerCase());

export interface UiFile {
  type: string;
  /** Vite names what it emits under `assets/` by content hash: such a file never changes. */
  immutable: boolean;
  /** The rewritten text, for files that held the placeholder; else the file is read from `path`. */
  body?: Buffer;
  path: string;
  etag: string;
}

export interface PrefectUiBundle {
  /** `v1` (Vue) or `v2` (React), from `index.html`'s mount point. */
  version: 'v1' | 'v2';
  dir: string;
  /** By URL path under the serve base: `/index.html`, `/assets/index-1a2b.js`, … */
  files: Map<string, UiFile>;
}

const invalid = (dir: string, why: string) =>
  new ConfigError(`--prefect-ui ${dir}: ${why} (give a Prefect UI build folder, or auto)`);

/** Reads a build folder; a folder that is not one is a start-up error naming the flag. */
export function loadPrefectUi(given: string): PrefectUiBundle {
  const dir = resolve(given);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw invalid(given, 'does not exist');
  if (!st.isDirectory()) throw invalid(given, 'is not a folder');
  let index: string;
  try {
    index = readFileSync(join(dir, 'index.html'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(given, code === 'ENOENT' ? 'has no index.html' : `cannot be read (${code ?? String(err)})`);
  }
  const version = /<div id="root">/.test(index) ? 'v2' : /<div id="app">/.test(index) ? 'v1' : undefined;
  if (!version) throw invalid(given, 'index.html is not a Prefect UI build (neither the v1 nor the v2 mount point)');
  const files = new Map<string, UiFile>();
  walk(dir, (path) => {
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const ext = extname(path).toLowerCase();
    let body: Buffer | undefined;
    let etag: string;
    if (REWRITTEN.has(ext)) {
      const text = readFileSync(path, 'utf8');
      if (text.includes(PLACEHOLDER)) body = Buffer.from(text.replaceAll(PLACEHOLDER, SERVE_BASE));
      etag = tagOf(body ?? Buffer.from(text));
    } else {
      const s = statSync(path);
      etag = `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;
    }
    const type = TYPES[ext] ?? 'application/octet-stream';
    files.set(url, { type, immutable: url.startsWith('/assets/'), body, path, etag });
  });
  return { version, dir, files };
}

const tagOf = (b: Buffer) => `"${createHash('sha256').update(b).digest('base64url').slice(0, 22)}"`;

/** Every regular file under `dir`; links are followed as files, never as folders (no cycles). */
function walk(dir: string, visit: (path: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()))
      visit(path);
  }
}
