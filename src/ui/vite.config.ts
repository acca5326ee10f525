/**
 * Builds the web UI into `dist/ui` (`npm run build:ui`) and serves it with live reload against a
 * running Sightline (`npm run dev:ui`; `SIGHTLINE_URL`, default http://127.0.0.1:4200).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.SIGHTLINE_URL ?? 'http://127.0.0.1:4200';

export default defineConfig({
  root,
  base: '/',
  // Copied as they are: the favicon browsers ask for at /favicon.ico.
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': { target, ws: true, changeOrigin: false } } },
});
