import assert from 'node:assert/strict';
import { it } from 'node:test';
import { attachment, pythonQuote } from './content-disposition.ts';

it('quotes file names as Python’s urllib.parse.quote does', () => {
  assert.equal(pythonQuote('my-flow_run.1~/x-logs.csv'), 'my-flow_run.1~/x-logs.csv');
  assert.equal(pythonQuote('a b!*\'()"é✓'), 'a%20b%21%2A%27%28%29%22%C3%A9%E2%9C%93');
});

it('names the file in ASCII, and as it is when that differs', () => {
  assert.equal(attachment('witty-fox-logs.csv'), 'attachment; filename="witty-fox-logs.csv"');
  assert.equal(
    attachment('witty fox-logs.csv'),
    `attachment; filename="witty_fox-logs.csv"; filename*=UTF-8''witty%20fox-logs.csv`,
  );
});
