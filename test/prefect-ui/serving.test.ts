/**
 * `--prefect-ui`: Prefect's web UI served at `/prefect/` from a small fake build made here (the
 * placeholder rewritten in memory, `ui-settings`, deep links, caching, access under `--auth`), and
 * `sightline serve` finding a build through `python3` (`auto`) or refusing a folder that is not one.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, serve } from '../helpers/cli.ts';
import { forEachEngine, tempDir } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PLACEHOLDER = '/PREFECT_UI_SERVE_BASE_REPLACE_PLACEHOLDER';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x2f, 0x50]);

/** A build shaped like Vite's output of Prefect's v2 UI (`<div id="root">`), or v1 (`app`). */
function fakeBuild(version: 'v1' | 'v2' = 'v2'): string {
  const dir = tempDir('prefect-ui-');
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'ico'));
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html><head><link rel="icon" href="${PLACEHOLDER}/ico/favicon.png">` +
      `<script type="module" src="${PLACEHOLDER}/assets/index-3f2a1c.js"></script></head>` +
      `<body><div id="${version === 'v2' ? 'root' : 'app'}"></div></body></html>`,
  );
  writeFileSync(
    join(dir, 'assets', 'index-3f2a1c.js'),
    `const base="${PLACEHOLDER}/";import("${PLACEHOLDER}/assets/page-9b8c7d.js");`,
  );
  writeFileSync(join(dir, 'assets', 'page-9b8c7d.js'), 'export const page = 1;');
  writeFileSync(join(dir, 'assets', 'index-3f2a1c.css'), `body{background:url(${PLACEHOLDER}/ico/favicon.png)}`);
  writeFileSync(join(dir, 'ico', 'favicon.png'), PNG);
  writeFileSync(join(dir, 'ico', 'favicon-16x16.png'), PNG);
  writeFileSync(join(dir, 'completed.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
  return dir;
}

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, { headers, redirect: 'manual' });
}

forEachEngine('--prefect-ui serves a build at /prefect/', (engine) => {
  let s: TestServer;
  let dir: string;
  let origin: string;
  before(async () => {
    dir = fakeBuild();
    s = await startServer(engine, { 'prefect-ui': dir });
    origin = (await s.listen()).replace(/\/api$/, '');
  });
  after(() => s.close());

  it('rewrites the serve-base placeholder to /prefect in memory, never in the folder', async () => {
    const page = await get(origin, '/prefect/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await page.text();
    assert.match(html, /src="\/prefect\/assets\/index-3f2a1c\.js"/);
    assert.match(html, /href="\/prefect\/ico\/favicon\.png"/);
    assert.ok(!html.includes(PLACEHOLDER));
    const js = await (await get(origin, '/prefect/assets/index-3f2a1c.js')).text();
    assert.equal(js, 'const base="/prefect/";import("/prefect/assets/page-9b8c7d.js");');
    const css = await (await get(origin, '/prefect/assets/index-3f2a1c.css')).text();
    assert.equal(css, 'body{background:url(/prefect/ico/favicon.png)}');
    for (const f of ['index.html', 'assets/index-3f2a1c.js', 'assets/index-3f2a1c.css'])
      assert.ok(readFileSync(join(dir, f), 'utf8').includes(PLACEHOLDER), `${f} is unchanged on disk`);
  });

  it('answers ui-settings in the shape of Prefect, pointing the UI at this API', async () => {
    const r = await get(origin, '/prefect/ui-settings');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await r.json(), {
      api_url: `${origin}/api`,
      csrf_enabled: false,
      auth: null,
      flags: [],
      default_ui: 'v2',
      available_uis: ['v2'],
      v1_base_url: null,
      v2_base_url: '/prefect',
    });
  });

  it("answers index.html for the UI's own paths (deep links, reloads), and 404 for missing files", async () => {
    const index = await (await get(origin, '/prefect/')).text();
    for (const path of ['/prefect/runs', '/prefect/runs/flow-run/0b9e2c1a-5d0e-4c7a-9a57-4c8a2f9e1d11?tab=Logs']) {
      const r = await get(origin, path);
      assert.equal(r.status, 200, path);
      assert.equal(await r.text(), index, path);
    }
    const bare = await get(origin, '/prefect?x=1');
    assert.equal(bare.status, 307);
    assert.equal(bare.headers.get('location'), '/prefect/?x=1');
    for (const path of ['/prefect/assets/index-000000.js', '/prefect/ico/missing.png', '/prefect/%E0%A4%A']) {
      const r = await get(origin, path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(await r.json(), { detail: 'Not Found' }, path);
    }
  });

  it('caches hashed assets for good and revalidates the rest, with the right content types', async () => {
    const asset = await get(origin, '/prefect/assets/page-9b8c7d.js');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
    const index = await get(origin, '/prefect/');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const etag = index.headers.get('etag')!;
    assert.ok(etag);
    const again = await get(origin, '/prefect/runs', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    const png = await get(origin, '/prefect/ico/favicon.png');
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await png.arrayBuffer()), PNG);
    const txt = await get(origin, '/prefect/robots.txt');
    assert.equal(txt.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await txt.text(), 'User-agent: *\nDisallow: /\n');
  });

  it('answers the favicons the v2 UI names outside its base, at the root', async () => {
    const state = await get(origin, '/completed.svg');
    assert.equal(state.status, 200);
    assert.equal(state.headers.get('content-type'), 'image/svg+xml');
    assert.deepEqual(Buffer.from(await (await get(origin, '/favicon-16x16.png')).arrayBuffer()), PNG);
    assert.equal((await get(origin, '/prefect/favicon-16x16.png')).status, 200);
  });

  it('keeps the browser guard: a foreign Host or Origin is refused', async () => {
    const port = Number(new URL(origin).port);
    const host = await rawRequest(port, 'GET /prefect/ HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n');
    assert.equal(host.status, 421);
    const page = await get(origin, '/prefect/ui-settings', { origin: 'https://evil.example' });
    assert.equal(page.status, 403);
  });

  it('leaves / and the API as they were', async () => {
    assert.equal((await get(origin, '/api/health')).status, 200);
    assert.equal((await get(origin, '/')).status, 404);
  });
});

forEachEngine('--prefect-ui under --auth', (engine) => {
  let s: TestServer;
  let origin: string;
  before(async () => {
    s = await startServer(engine, { 'prefect-ui': fakeBuild('v1'), auth: 'true' });
    origin = (await s.listen()).replace(/\/api$/, '');
  });
  after(() => s.close());

  it("serves the UI's files and settings without a key; the UI then sends the key to the API", async () => {
    assert.equal((await get(origin, '/prefect/')).status, 200);
    assert.equal((await get(origin, '/prefect/runs')).status, 200);
    assert.equal((await get(origin, '/prefect/assets/index-3f2a1c.js')).status, 200);
    const settings = (await (await get(origin, '/prefect/ui-settings')).json()) as Record<string, unknown>;
    assert.equal(settings.auth, 'BASIC');
    assert.deepEqual([settings.default_ui, settings.v1_base_url, settings.v2_base_url], ['v1', '/prefect', null]);
    assert.equal((await get(origin, '/api/admin/version')).status, 401);
    // What the UI sends once the user typed `sightline:<key>` in its login form.
    const key = await makeKey(s, 'read');
    const basic = `Basic ${Buffer.from(`sightline:${key.secret}`).toString('base64')}`;
    assert.equal((await get(origin, '/api/admin/version', { authorization: basic })).status, 200);
  });
});

forEachEngine('--prefect-ui-workspace', (engine) => {
  it("points the UI at the workspace's Cloud path (named here by its handle); an unknown one stops start-up", async () => {
    const s = await startServer(engine, { 'prefect-ui': fakeBuild(), 'prefect-ui-workspace': 'default' });
    try {
      const origin = (await s.listen()).replace(/\/api$/, '');
      const settings = (await (await get(origin, '/prefect/ui-settings')).json()) as Record<string, unknown>;
      assert.equal(settings.api_url, `${origin}/api/accounts/${s.accountId}/workspaces/${s.workspaceId}`);
    } finally {
      await s.close();
    }
    await assert.rejects(
      startServer(engine, { 'prefect-ui': fakeBuild(), 'prefect-ui-workspace': 'nowhere' }),
      /--prefect-ui-workspace nowhere: no workspace has this id or handle/,
    );
  });
});

/** A `python3` that answers the probe the way an installed Prefect would (or would not). */
function fakePython(answer: string): string {
  const bin = tempDir('fake-python-');
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\necho '${answer}'\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  return bin;
}

describe('sightline serve --prefect-ui', () => {
  const args = () => ['--port', '0', '--data-dir', tempDir(), '--no-capabilities', '--log-level', 'warn'];

  it('auto: serves the build the python3 on PATH names, and prints its URL', async () => {
    const build = fakeBuild();
    const bin = fakePython(JSON.stringify({ version: '3.8.3', v2: build, v1: '/nowhere' }));
    const s = await serve([...args(), '--prefect-ui', 'auto'], { PATH: `${bin}:${process.env.PATH}` });
    try {
      assert.equal(s.lines['prefect-ui'], `${s.lines.api.replace(/\/api$/, '')}/prefect/`);
      assert.match(
        s.stderr(),
        new RegExp(`prefect-ui: prefect 3\\.8\\.3's UI from ${build} \\(found through python3\\)`),
      );
      assert.equal((await fetch(s.lines['prefect-ui'])).status, 200);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  it('auto: says in one line why nothing is served, and serves the API anyway', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PATH: tempDir('empty-path-') }, /^prefect-ui: not served: python3 is not on PATH$/m],
      [
        { PATH: `${fakePython('{"missing": "No module named prefect"}')}:${process.env.PATH}` },
        /^prefect-ui: not served: the python3 on PATH has no prefect package installed$/m,
      ],
      [
        {
          PATH: `${fakePython('{"version": "3.8.3", "v2": "/nowhere/ui-v2", "v1": "/nowhere/ui"}')}:${process.env.PATH}`,
        },
        /^prefect-ui: not served: prefect 3\.8\.3 \(python3\) has no UI build in \/nowhere\/ui-v2 or \/nowhere\/ui$/m,
      ],
    ];
    for (const [env, said] of cases) {
      const s = await serve([...args(), '--prefect-ui', 'auto'], env);
      try {
        assert.match(s.stderr(), said);
        assert.equal(s.lines['prefect-ui'], undefined);
        assert.equal((await fetch(`${s.lines.api}/health`)).status, 200);
      } finally {
        s.child.kill('SIGTERM');
        await s.exited;
      }
    }
  });

  it('refuses a folder that is not a Prefect UI build with one line naming the flag', async () => {
    const notUi = tempDir('not-ui-');
    writeFileSync(join(notUi, 'index.html'), '<html><body>hello</body></html>');
    const cases: [string, string][] = [
      ['/nowhere/at/all', 'does not exist'],
      [tempDir('empty-'), 'has no index.html'],
      [notUi, 'index.html is not a Prefect UI build'],
    ];
    for (const [folder, why] of cases) {
      const r = await run(['serve', ...args(), '--prefect-ui', folder], { SIGHTLINE_PREFECT_UI: undefined });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`sightline: --prefect-ui ${folder}: ${why}`), r.stderr);
    }
  });
});
