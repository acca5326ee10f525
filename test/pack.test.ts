/**
 * The published package: `npm pack`, laid out as `npm install -g` lays it out (the package under
 * lib/node_modules, bin/sightline a symlink to its launcher), then run as `sightline` from the
 * PATH: on Node 24 it serves and answers; on the machine's older Node it says which Node it needs.
 * Dependencies come from this checkout (tests reach no registry): the test is about what the
 * tarball holds and how its command starts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CHILD_DEADLINE_MS, serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The machine's own Node, when it is one the package does not run on (Debian's is 20). */
const OLD_NODE = '/usr/bin/node';

function sightline(path: string, args: string[], home: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('sightline', args, {
      env: { PATH: path, HOME: home },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CHILD_DEADLINE_MS,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

it('the packed package installs a working sightline command', async () => {
  const out = tempDir('sightline-pack-');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const tarball = execFileSync(npm, ['pack', '--silent', '--pack-destination', out], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  execFileSync('tar', ['xzf', join(out, tarball), '-C', out]);
  const pkg = join(out, 'lib/node_modules/sightline');
  mkdirSync(dirname(pkg), { recursive: true });
  renameSync(join(out, 'package'), pkg);
  assert.ok(existsSync(join(pkg, 'dist/cli/main.js')), 'built JavaScript is packed');
  assert.ok(!existsSync(join(pkg, 'src')), 'TypeScript sources are not packed');
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  mkdirSync(join(out, 'bin'));
  symlinkSync('../lib/node_modules/sightline/bin/sightline.js', join(out, 'bin/sightline'));

  const home = tempDir();
  const path = `${dirname(process.execPath)}:${join(out, 'bin')}:/usr/bin:/bin`;
  const version = sightline(path, ['--version'], home);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^sightline \d+\.\d+\.\d+\n$/);
  const help = sightline(path, ['--help'], home);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^usage: sightline <command>/);

  const s = await serve(['--port', '0', '--data-dir', tempDir(), '--log-level', 'silent'], {}, [
    process.execPath,
    join(out, 'bin/sightline'),
  ]);
  try {
    assert.equal(await (await fetch(`${s.lines.api}/health`)).json(), true);
    // The web UI is in the package and served at /.
    assert.ok(existsSync(join(pkg, 'dist/ui/index.html')), 'the built web UI is packed');
    const page = await fetch(new URL('/runs', s.lines.api));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    const runs = sightline(path, ['runs', '--api', s.lines.api], home);
    assert.equal(runs.code, 0, runs.stderr);
  } finally {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }

  const old = existsSync(OLD_NODE) ? execFileSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }) : '';
  const [major, minor] = old.split('.').map(Number);
  if (!old || major > 22 || (major === 22 && minor >= 18)) return; // no older Node here to try
  for (const args of [['--help'], ['--version'], ['serve'], ['runs']]) {
    const r = sightline(`${join(out, 'bin')}:/usr/bin:/bin`, args, home);
    assert.equal(r.code, 1, `${args}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^sightline needs Node\.js 22\.18 or newer, and \/usr\/bin\/node is v\d+[^\n]*Node 24[^\n]*\n$/,
    );
  }
});
