/**
 * What every web UI test file needs: `sightline serve --port 0` on a fresh database with a JSON
 * client for its API, and axe-core's serious and critical findings on a page.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { type Served, serve } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engines.ts';

type Json = any;

export interface UiServer {
  served: Served;
  /** `http://127.0.0.1:PORT`, where the UI is. */
  origin: string;
  /** `origin/api`. */
  api: string;
  /** Calls the API (path relative to `api`) and returns its JSON; fails the test on a non-2xx. */
  call(method: string, path: string, body?: unknown): Promise<Json>;
  stop(): Promise<void>;
}

export async function startUi(dbUrl: string): Promise<UiServer> {
  const served = await serve(['--port', '0', '--data-dir', tempDir(), '--db', dbUrl, '--log-level', 'warn']);
  const api = served.lines.api.trim();
  return {
    served,
    origin: new URL(api).origin,
    api,
    async call(method, path, body) {
      const r = await fetch(`${api}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      assert.ok(r.ok, `${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : undefined;
    },
    async stop() {
      served.child.kill('SIGTERM');
      await served.exited;
    },
  };
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as `rule: targets` lines (the page's context must bypass CSP). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => (globalThis as Json).axe.run());
  return result.violations
    .filter((v: Json) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: Json) => `${v.id}: ${v.nodes.map((n: Json) => n.target).join(', ')}`);
}
