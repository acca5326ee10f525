/** The published package: `npm pack`, then the packed `sightline serve` starts on built JavaScript. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

it('npm pack produces a package whose bin starts the server', async () => {
  const out = tempDir('sightline-pack-');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const tarball = execFileSync(npm, ['pack', '--silent', '--pack-destination', out], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  execFileSync('tar', ['xzf', join(out, tarball), '-C', out]);
  const pkg = join(out, 'package');
  assert.ok(existsSync(join(pkg, 'dist/cli/main.js')), 'built JavaScript is packed');
  assert.ok(!existsSync(join(pkg, 'src')), 'TypeScript sources are not packed');
  // Dependencies come from this checkout: the test is about what the tarball contains.
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  const bin = join(pkg, 'dist/cli/main.js');
  const s = await serve(['--port', '0', '--data-dir', tempDir(), '--log-level', 'silent'], {}, [process.execPath, bin]);
  try {
    assert.equal(await (await fetch(`${s.lines.api}/health`)).json(), true);
  } finally {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }
});
