import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell, csvLine, formatFixedIso, levelName, parseLevel, textLine } from './log-export.ts';

const T = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z

describe('CSV rendering', () => {
  it('quotes like Python’s csv module (minimal quoting, doubled quotes)', () => {
    assert.equal(csvCell('plain text'), 'plain text');
    assert.equal(csvCell(''), '');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('one\ntwo'), '"one\ntwo"');
    assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
    assert.equal(csvCell(' leading space'), ' leading space');
  });

  it('prefixes cells a spreadsheet would read as a formula with an apostrophe', () => {
    for (const c of ['=', '+', '-', '@', '\t']) assert.equal(csvCell(`${c}x`), `'${c}x`);
    assert.equal(csvCell('\rx'), `"'\rx"`, 'then quotes as needed');
    assert.equal(csvCell('=a,b'), `"'=a,b"`);
    assert.equal(csvCell('x=1'), 'x=1', 'only the first character counts');
  });

  it('writes one record per log, timestamps as Python’s str(datetime)', () => {
    const row = { timestamp: T + 1, level: 40, flow_run_id: 'f', task_run_id: null, message: 'm' };
    assert.equal(csvLine(row), '2024-05-01 12:00:00.000001+00:00,40,f,,m\r\n');
    assert.equal(csvLine({ ...row, timestamp: T, task_run_id: 't' }), '2024-05-01 12:00:00+00:00,40,f,t,m\r\n');
    assert.equal(csvLine({ ...row, level: -5 }).split(',')[1], "'-5", 'even numbers, when they look like formulas');
  });
});

describe('text rendering', () => {
  it('writes `<timestamp> <LEVEL> <logger> <message>` with continuation lines indented', () => {
    const row = { timestamp: T + 123_000, level: 20, name: 'prefect.flow_runs', message: 'first\nsecond\r\nthird\n' };
    assert.equal(textLine(row), '2024-05-01T12:00:00.123000Z INFO prefect.flow_runs first\n    second\n    third\n');
    assert.equal(textLine({ ...row, message: '' }), '2024-05-01T12:00:00.123000Z INFO prefect.flow_runs \n');
    assert.equal(
      textLine({ ...row, message: 'x' }, { level: (n) => `<${n}>` }),
      '2024-05-01T12:00:00.123000Z <INFO> prefect.flow_runs x\n',
    );
  });

  it('names Python’s levels and parses names or numbers', () => {
    assert.deepEqual([0, 10, 20, 30, 40, 50, 25].map(levelName), [
      'NOTSET',
      'DEBUG',
      'INFO',
      'WARNING',
      'ERROR',
      'CRITICAL',
      '25',
    ]);
    assert.equal(parseLevel('warning'), 30);
    assert.equal(parseLevel('WARN'), 30);
    assert.equal(parseLevel('35'), 35);
    assert.equal(parseLevel('loud'), undefined);
  });

  it('formats times with all six fractional digits, before 1970 too', () => {
    assert.equal(formatFixedIso(T), '2024-05-01T12:00:00.000000Z');
    assert.equal(formatFixedIso(-1), '1969-12-31T23:59:59.999999Z');
  });
});
