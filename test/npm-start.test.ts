/**
 * `npm start` (and `npm run serve`) stopped by npm's PID stops the server: the script execs Node,
 * so the server is npm's direct child and gets the signal npm forwards. Without `exec` the shell
 * between them let the server live on, re-parented to PID 1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { it } from 'node:test';
import { CHILD_DEADLINE_MS, serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const root = new URL('..', import.meta.url);

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/health`, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(5_000, () => req.destroy());
    req.end();
  });
}

it('npm start and npm run serve run one command, and stopping npm by its PID stops the server', async () => {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  assert.equal(scripts.start, scripts.serve);
  const dir = tempDir();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const s = await serve(['--', '--port', '0', '--data-dir', dir, '--log-level', 'silent'], {}, [npm, 'run']);
  assert.ok(await answers(s.lines.api), 'the server answers while npm runs');
  s.child.kill('SIGTERM');
  await s.exited;
  const deadline = Date.now() + CHILD_DEADLINE_MS;
  while ((await answers(s.lines.api)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await answers(s.lines.api), false, 'the server stopped with npm');
});
