/**
 * Progress on stderr for work that takes more than a second: on a terminal a status line, redrawn
 * in place and erased when done; in a pipe nothing at all. A slow link is made by a loopback
 * proxy that holds each logs page 1.5 s before passing it on to a real server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import { uuid4 } from '../src/domain/ids.ts';
import { CHILD_DEADLINE_MS, CLI, run } from './helpers/cli.ts';
import { forEngine } from './helpers/engines.ts';
import { isoAt, postLogs } from './helpers/logs.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const SLOW_MS = 1500;
/** util-linux `script` runs a command on a pseudo-terminal (Debian has it in bsdutils). */
const SCRIPT = '/usr/bin/script';

/** Passes every request on to `upstream`, holding the answers to logs reads for SLOW_MS first. */
async function slowProxy(upstream: string): Promise<{ url: string; server: Server }> {
  const target = new URL(upstream);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const answer = await fetch(new URL(req.url!, target.origin), {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (req.url!.includes('/logs')) await new Promise((r) => setTimeout(r, SLOW_MS));
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}${target.pathname}`, server };
}

/** Runs the CLI with stdout and stderr on one pseudo-terminal; resolves with what it showed. */
function onTerminal(args: string[]): Promise<string> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) =>
    execFile(
      SCRIPT,
      ['-qec', command, '/dev/null'],
      { timeout: CHILD_DEADLINE_MS, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout) => (err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout)),
    ),
  );
}

forEngine('sqlite', 'progress of slow commands', (engine) => {
  let server: TestServer;
  let proxy: { url: string; server: Server };
  const flowRun = uuid4();
  before(async () => {
    server = await startServer(engine);
    await postLogs(server, [{ message: 'the only line', timestamp: isoAt(0), flow_run_id: flowRun }]);
    proxy = await slowProxy(await server.listen());
  });
  after(async () => {
    proxy.server.close();
    await server.close();
  });

  it('a logs read taking more than a second shows a status line on a terminal, then erases it', {
    skip: !existsSync(SCRIPT) && `${SCRIPT} is not installed`,
  }, async () => {
    const shown = await onTerminal(['logs', flowRun, '--api', proxy.url]);
    const status = new RegExp(`\r\u001b\\[Kreading the logs of flow run ${flowRun} \\(\\d+ s\\)`);
    assert.match(shown, status, 'a status line');
    // Erased before the logs are printed, so their line starts clean; nothing drawn after them.
    assert.match(shown, /\r\u001b\[K[^\r\u001b]*the only line\r\n$/);
  });

  it('in a pipe the same read prints its result and no progress', async () => {
    const r = await run(['logs', flowRun, '--api', proxy.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /the only line\n$/);
    assert.equal(r.stderr, '');
  });
});
