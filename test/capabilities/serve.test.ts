/** `sightline serve` with capabilities, as a process: start-up lines and a broken file. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { run, serve } from '../helpers/cli.ts';
import { tempDir } from '../helpers/engines.ts';

it('prints the rest and mcp lines after the others, and both answer', async () => {
  const s = await serve(['--port', '0', '--data-dir', tempDir(), '--log-level', 'silent']);
  try {
    assert.match(s.lines.rest, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.match(s.lines.mcp, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const doc = (await (await fetch(`${s.lines.rest}/openapi.json`)).json()) as { paths: object };
    assert.equal(Object.keys(doc.paths).length, 26);
    const filter = await fetch(
      `${s.lines.rest}/api/accounts/${s.lines.account}/workspaces/${s.lines.workspace}/logs/filter`,
      { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
    );
    assert.deepEqual(await filter.json(), []);
  } finally {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }
});

it('refuses to start on a broken capability file, saying where and why', async () => {
  const dir = tempDir();
  const file = join(dir, 'broken.yaml');
  writeFileSync(
    file,
    'naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n  - type: http\n    namespace: x\n    baseUri: ftp://nope\n',
  );
  const r = await run([
    'serve',
    '--port',
    '0',
    '--rest-port',
    '0',
    '--mcp-port',
    '0',
    '--data-dir',
    dir,
    '--capabilities',
    file,
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file}:6: error: 'baseUri' must be an http\\(s\\) URL`));
  const off = await serve([
    '--port',
    '0',
    '--data-dir',
    dir,
    '--log-level',
    'silent',
    '--no-capabilities',
    '--capabilities',
    file,
  ]);
  assert.equal(off.lines.rest, undefined);
  off.child.kill('SIGTERM');
  await off.exited;
});
