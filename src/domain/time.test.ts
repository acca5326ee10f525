import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatMicros, formatPythonIso, formatPythonStr, parseIsoMicros } from './time.ts';

it('parses ISO-8601 with offsets, naive as UTC, and keeps microseconds', () => {
  const t = parseIsoMicros('2024-05-01T12:00:00.123456Z')!;
  assert.equal(t, 1_714_564_800_123_456);
  assert.equal(parseIsoMicros('2024-05-01T14:00:00.123456+02:00'), t);
  assert.equal(parseIsoMicros('2024-05-01 12:00:00.123456'), t);
  assert.equal(parseIsoMicros('2024-05-01T07:30:00.123456-0430'), t);
  assert.equal(parseIsoMicros('2024-05-01T12:00:00.1234567Z'), t, 'extra digits truncated');
  assert.equal(parseIsoMicros('2024-05-01'), 1_714_521_600_000_000);
  assert.equal(parseIsoMicros('1969-12-31T23:59:59.5Z'), -500_000);
  for (const bad of [
    '',
    'now',
    '2024-13-01',
    '2024-02-30T00:00:00Z',
    '2024-05-01T25:00:00Z',
    '2024-05-01T12:00:00+25:00',
  ]) {
    assert.equal(parseIsoMicros(bad), undefined, bad);
  }
});

it('renders as Prefect, Python str() and isoformat() do', () => {
  const t = 1_714_564_800_123_456;
  assert.equal(formatMicros(t), '2024-05-01T12:00:00.123456Z');
  assert.equal(formatMicros(1_714_564_800_000_000), '2024-05-01T12:00:00Z');
  assert.equal(formatMicros(1_714_564_800_100_000), '2024-05-01T12:00:00.100000Z');
  assert.equal(formatPythonStr(t), '2024-05-01 12:00:00.123456+00:00');
  assert.equal(formatPythonIso(1_714_564_800_000_000), '2024-05-01T12:00:00+00:00');
  assert.equal(formatMicros(-500_000), '1969-12-31T23:59:59.500000Z');
  assert.equal(formatMicros(parseIsoMicros('2000-02-29T23:59:59.999999Z')!), '2000-02-29T23:59:59.999999Z');
});
