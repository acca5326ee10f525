import assert from 'node:assert/strict';
import { it } from 'node:test';
import { signToken, verifyToken } from './cursor-token.ts';

it('accepts its own tokens until they expire, and nothing else', () => {
  const key = Buffer.from('secret');
  const t = signToken(key, { p: 1 }, { kind: 'a', ttlMs: 1000, now: 10_000 });
  assert.deepEqual(verifyToken(key, t, 'a', 10_500), { p: 1, kind: 'a', exp: 11_000 });
  assert.equal(verifyToken(key, t, 'a', 11_001), undefined, 'expired');
  assert.equal(verifyToken(key, t, 'b', 10_500), undefined, 'another kind');
  assert.equal(verifyToken(Buffer.from('other'), t, 'a', 10_500), undefined, 'another secret');
  assert.equal(verifyToken(key, `${t}x`, 'a', 10_500), undefined, 'altered signature');
  assert.equal(verifyToken(key, 'no-dot', 'a', 10_500), undefined);
  const forged = `${Buffer.from('{"p":2,"kind":"a","exp":99999}').toString('base64url')}.${t.split('.')[1]}`;
  assert.equal(verifyToken(key, forged, 'a', 10_500), undefined, 'altered payload');
});
