import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseDuration } from './duration.ts';
import { loadOptions } from './load.ts';
import type { OptionSpec } from './schema.ts';

it('reads durations with a unit, bare seconds, and 0/off where allowed', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('15m'), 900);
  assert.equal(parseDuration('36h'), 129_600);
  assert.equal(parseDuration('30d'), 2_592_000);
  assert.equal(parseDuration(' 300 '), 300);
  assert.equal(parseDuration('0', { off: true }), 0);
  assert.equal(parseDuration('OFF', { off: true }), 0);
  assert.match(String(parseDuration('off')), /cannot be off/);
  assert.match(String(parseDuration('0')), /more than 0/);
  for (const bad of ['1.5h', '10 m', '-5s', '5w', '', 'soon', '9999999999s'])
    assert.equal(typeof parseDuration(bad), 'string', bad);
});

it('loads duration options from flags and the environment, naming a bad value', () => {
  const specs = {
    'request-timeout': { type: 'duration', help: 'x', default: 300, off: true },
    'ws-handshake-timeout': { type: 'duration', help: 'x', default: 10, min: 1, max: 3600 },
  } satisfies Record<string, OptionSpec>;
  const { options } = loadOptions<Record<string, number>>(specs, ['--request-timeout', '5m'], {
    SIGHTLINE_WS_HANDSHAKE_TIMEOUT: '30',
  });
  assert.deepEqual(options, { 'request-timeout': 300, 'ws-handshake-timeout': 30 });
  assert.equal(loadOptions<Record<string, number>>(specs, ['--request-timeout=off'], {}).options['request-timeout'], 0);
  assert.throws(() => loadOptions(specs, ['--ws-handshake-timeout', '2h'], {}), /between 1 and 3600 seconds/);
  assert.throws(
    () => loadOptions(specs, ['--ws-handshake-timeout', 'soon'], {}),
    /--ws-handshake-timeout must be a duration/,
  );
});
