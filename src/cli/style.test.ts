import assert from 'node:assert/strict';
import { it } from 'node:test';
import { levelStyle, paint, useColour } from './style.ts';

it('colours only on a terminal, and never with NO_COLOR', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  assert.equal(useColour(tty, {}), true);
  assert.equal(useColour(tty, { NO_COLOR: '1' }), false);
  assert.equal(useColour(tty, { NO_COLOR: '' }), true, 'NO_COLOR counts only when set to something');
  assert.equal(useColour(pipe, {}), false);
});

it('styles levels from dim debug to bold red critical', () => {
  assert.deepEqual([10, 20, 30, 40, 50].map(levelStyle), ['dim', 'green', 'yellow', 'red', 'boldRed']);
  assert.equal(paint('ERROR', 'red'), '\u001b[31mERROR\u001b[0m');
});
