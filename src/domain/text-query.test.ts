import assert from 'node:assert/strict';
import { it } from 'node:test';
import { matchesText, parseTextQuery } from './text-query.ts';

it('parses Prefect text grammar', () => {
  assert.deepEqual(parseTextQuery('error -debug +Required !noise "Connection Timeout" - +'), {
    include: ['error', 'connection timeout'],
    required: ['required'],
    exclude: ['debug', 'noise'],
  });
  assert.deepEqual(parseTextQuery('"say \\"hi\\"" "back\\\\slash"').include, ['say "hi"', 'back\\slash']);
  assert.deepEqual(parseTextQuery('-"two words"').exclude, ['two words']);
  assert.deepEqual(parseTextQuery('   '), { include: [], required: [], exclude: [] });
});

it('matches: includes OR-ed, required AND-ed, excludes absent', () => {
  const m = (q: string, text: string) => matchesText(parseTextQuery(q), text.toLowerCase());
  assert.ok(m('error timeout', 'a timeout'));
  assert.ok(!m('error timeout', 'all fine'));
  assert.ok(!m('timeout -retry', 'timeout, retry'));
  assert.ok(m('+db +timeout', 'DB timeout'));
  assert.ok(!m('+db +timeout', 'db ok'));
  assert.ok(m('-noise', 'quiet'));
  assert.ok(m('', 'anything'));
});
