/**
 * `sightline serve` starts quietly: the shipped capability files report nothing at the default
 * level (their generator conventions only at debug), and stdout holds the start-up summary and
 * the log, as JSON lines when not on a terminal or readable lines with `--log-format pretty`.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Served, serve, until } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const SUMMARY = /^(api|data|account|workspace|cloud|metrics|rest|mcp) \S+$/;

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
}

function stdoutOf(s: Served): () => string {
  let out = Object.entries(s.lines)
    .map(([k, v]) => `${k} ${v}\n`)
    .join('');
  s.child.stdout!.on('data', (d) => (out += d));
  return () => out;
}

it('at the default level the shipped capability files start clean and nothing but the summary is printed', async () => {
  const s = await serve(['--port', '0', '--data-dir', tempDir()]);
  try {
    const stderr = s.stderr().trimEnd().split('\n');
    assert.deepEqual(
      stderr.filter((l) => !/^capabilities: prefect-\w+ → the local API \(in-process\)$/.test(l)),
      [],
      s.stderr(),
    );
    for (const [key, value] of Object.entries(s.lines)) assert.match(`${key} ${value}`, SUMMARY);
  } finally {
    await stop(s);
  }
});

it('at debug the conventions are reported, and the log is JSON lines or, asked, readable lines', async () => {
  const [json, pretty] = await Promise.all([
    serve(['--port', '0', '--data-dir', tempDir(), '--log-level', 'debug']),
    serve(['--port', '0', '--data-dir', tempDir(), '--log-level', 'debug', '--log-format', 'pretty']),
  ]);
  try {
    assert.match(
      json.stderr(),
      /prefect-events\.yaml:43: warning: Operation '\w+' is declared twice in 'prefect-events', identically/,
    );
    assert.match(json.stderr(), /prefect-logs\.yaml:\d+: warning: Empty 'baseUri' \(generator convention\)/);
    const [jsonOut, prettyOut] = [stdoutOf(json), stdoutOf(pretty)];
    // The server logs its event-loop delay every 10 s at debug.
    await until(
      () => jsonOut().includes('event loop delay') && prettyOut().includes('event loop delay'),
      'a debug entry',
    );
    const entry = jsonOut()
      .split('\n')
      .find((l) => l.includes('event loop delay'))!;
    assert.equal(JSON.parse(entry).level, 20);
    assert.match(
      prettyOut(),
      /\n\d\d:\d\d:\d\d\.\d{3} DEBUG event loop delay p50Ms=[\d.]+ p99Ms=[\d.]+ maxMs=[\d.]+\n/,
    );
    for (const out of [jsonOut(), prettyOut()]) assert.doesNotMatch(out, /Server listening at/);
  } finally {
    await Promise.all([stop(json), stop(pretty)]);
  }
});
