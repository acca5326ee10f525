/**
 * `sightline serve` that cannot start says why in one line (the port and the flag that moves it,
 * the path and what is wrong with it) and exits 1, without a stack unless `--log-level debug`.
 * Permission cases run without the power to ignore file permissions: as root (who may write
 * anywhere) under `setpriv`, still root — so the checkout stays readable wherever it is cloned — but
 * with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CHILD_DEADLINE_MS, CLI, serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const UNPRIVILEGED = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `sightline serve ARGS` to its end; every listener on a free port unless ARGS names one. */
function failedServe(args: string[], env: Record<string, string> = {}, prefix: string[] = []): Promise<Result> {
  const command = [
    ...prefix,
    process.execPath,
    CLI,
    'serve',
    '--port',
    '0',
    '--rest-port',
    '0',
    '--mcp-port',
    '0',
    ...args,
  ];
  const child = spawn(command[0], command.slice(1), {
    env: { PATH: process.env.PATH, HOME: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_DEADLINE_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The one line a failure prints, checked for its exit code and for the absence of a stack. */
function failure(r: Result): string {
  assert.equal(r.code, 1, `exit code; stderr:\n${r.stderr}`);
  const line = r.stderr.trimEnd().split('\n').pop()!;
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
  return line;
}

function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

describe('serve start-up failures', () => {
  const busy: Server[] = [];
  after(() => {
    for (const s of busy) s.close();
  });

  it('a busy port names the port and the flag that moves it', async () => {
    const { server, port } = await busyPort();
    busy.push(server);
    for (const flag of ['--port', '--rest-port', '--mcp-port']) {
      const r = await failedServe(['--data-dir', tempDir(), flag, String(port)]);
      assert.equal(
        failure(r),
        `sightline: port ${port} on 127.0.0.1 is already in use: choose another with ${flag} (0 = any free port)`,
      );
    }
  });

  it('with --log-level debug the stack is shown too', async () => {
    const { server, port } = await busyPort();
    busy.push(server);
    const r = await failedServe(['--data-dir', tempDir(), '--port', String(port), '--log-level', 'debug']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sightline: port \d+ on 127\.0\.0\.1 is already in use/);
    assert.match(r.stderr, /EADDRINUSE[^\n]*\n\s+at /);
  });

  it('a data directory that is a file, or under one', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    assert.equal(
      failure(await failedServe(['--data-dir', file])),
      `sightline: cannot create the data directory ${file}: it is a file, not a directory (choose another with --data-dir)`,
    );
    assert.equal(
      failure(await failedServe(['--data-dir', join(file, 'sub')])),
      `sightline: cannot create the data directory ${join(file, 'sub')}: a part of its path is a file, not a directory (choose another with --data-dir)`,
    );
  });

  it('a database that cannot be opened names its path and the reason', async () => {
    const dir = tempDir();
    assert.equal(
      failure(await failedServe(['--db', `sqlite:${dir}`])),
      `sightline: cannot open the database ${dir}: it is a directory (choose another with --data-dir or --db)`,
    );
    const locked = tempDir();
    chmodSync(locked, 0o555);
    assert.equal(
      failure(await failedServe(['--db', `sqlite:${join(locked, 'x.db')}`], {}, UNPRIVILEGED)),
      `sightline: cannot open the database ${join(locked, 'x.db')}: its directory ${locked} is not writable by this user (choose another with --data-dir or --db)`,
    );
  });

  it('an unwritable HOME, with no --data-dir', async () => {
    const home = tempDir();
    chmodSync(home, 0o555);
    const r = await failedServe([], { HOME: home }, UNPRIVILEGED);
    assert.equal(
      failure(r),
      `sightline: cannot create the data directory ${join(home, '.sightline')}: permission denied (choose another with --data-dir)`,
    );
  });

  it('a read-only database', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const first = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.stderr());
    const db = join(dir, 'sightline.db');
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    const line = failure(await failedServe(['--data-dir', dir], {}, UNPRIVILEGED));
    assert.match(
      line,
      new RegExp(
        `^sightline: the database ${db} is read-only: (the file is not writable by this user|its directory ${dir} is not writable by this user) \\(make it writable, or choose another with --data-dir or --db\\)$`,
      ),
    );
  });

  it('nothing is created when the data directory cannot be', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'ro'), { mode: 0o555 });
    chmodSync(parent, 0o755);
    const r = await failedServe(['--data-dir', join(parent, 'ro', 'data')], {}, UNPRIVILEGED);
    assert.match(failure(r), /cannot create the data directory .*: permission denied/);
  });
});
