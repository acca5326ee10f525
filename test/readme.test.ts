/**
 * The README's "Try it" block runs as written, as one shell script, against a server started the
 * way the README says (`npm start`); only the address differs (a free port instead of
 * 4200, and SIGHTLINE_API_URL for the `sightline` commands, which the README says they honour).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHILD_DEADLINE_MS, serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function block(after: string): string {
  const from = README.indexOf(after);
  assert.ok(from >= 0, `README has '${after}'`);
  const start = README.indexOf('```sh\n', from) + '```sh\n'.length;
  return README.slice(start, README.indexOf('```', start));
}

it("the README's Try it commands work as written and show what they stored", async () => {
  // `npm start` as the README says (`npm run serve` is the same script: it takes arguments).
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const s = await serve(['--', '--port', '0', '--data-dir', tempDir(), '--log-level', 'silent'], {}, [npm, 'run']);
  try {
    const script = block('## Try it').replaceAll('http://127.0.0.1:4200/api', s.lines.api);
    assert.match(script, /npx sightline events/);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, SIGHTLINE_API_URL: s.lines.api },
      timeout: CHILD_DEADLINE_MS,
    });
    assert.match(stdout, /"message":"hello"/, 'the log search finds the log');
    assert.match(
      stdout,
      /2026-01-01T00:00:00(\.0+)?Z {2}demo\.hello {2}demo\.thing\n$/,
      'sightline events shows the event',
    );
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
  }
});
