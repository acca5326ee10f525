import assert from 'node:assert/strict';
import { it } from 'node:test';
import { combine, conditions, inList, nullness, range, textMatch } from './predicates.ts';

interface Row {
  id: string | null;
  n: number;
  text: string;
}
const rows: Row[] = [
  { id: 'a', n: 1, text: 'Connection refused' },
  { id: null, n: 5, text: 'timeout' },
  { id: 'b', n: 9, text: 'all good' },
];
const ids = (p: (r: Row) => boolean) => rows.filter(p).map((r) => r.n);

it('builds predicates with the store’s SQL semantics', () => {
  assert.deepEqual(ids(inList((r) => r.id, ['a', 'b'])), [1, 9], 'null is in no list');
  assert.deepEqual(ids(inList((r) => r.id, [])), [], 'an empty list matches nothing');
  assert.deepEqual(ids(nullness((r) => r.id, true)), [5]);
  assert.deepEqual(ids(range((r) => r.n, 1, 5)!), [1, 5], 'inclusive');
  assert.equal(
    range((r: Row) => r.n),
    undefined,
    'no bound, no condition',
  );
  assert.deepEqual(ids(textMatch('connection timeout', (r) => r.text)!), [1, 5], 'the text grammar, case-insensitive');
  assert.equal(
    textMatch('  ', (r: Row) => r.text),
    undefined,
    'a blank query adds no condition',
  );
  assert.equal(conditions<Row>(undefined, undefined), undefined);
});

it('combines present conditions with and_ / or_; none matches everything', () => {
  const low = range((r: Row) => r.n, undefined, 5)!;
  const named = inList((r: Row) => r.id, ['b']);
  assert.deepEqual(ids(combine('and_', [low, named])), []);
  assert.deepEqual(ids(combine('or_', [low, named])), [1, 5, 9]);
  assert.deepEqual(ids(combine(undefined, [low])), [1, 5]);
  assert.deepEqual(ids(combine('or_', [])), [1, 5, 9]);
});
