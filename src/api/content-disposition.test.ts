import assert from 'node:assert/strict';
import { it } from 'node:test';
import { attachment, pythonQuote } from './content-disposition.ts';

it('quotes file names as Python’s urllib.parse.quote does', () => {
  assert.equal(pythonQuote('my-flow_run.1~/x-logs.csv'), 'my-flow_run.1~/x-logs.csv');
  assert.equal(pythonQuote('a b!*\'()"é✓'), 'a%20b%21%2A%27%28%29%22%C3%A9%E2%9C%93');
});

it('gives the ASCII fallback and, when known, the real name', () => {
  assert.equal(attachment('flow-run-logs.csv'), 'attachment; filename="flow-run-logs.csv"');
  assert.equal(
    attachment('flow-run-logs.csv', 'witty fox-logs.csv'),
    `attachment; filename="flow-run-logs.csv"; filename*=UTF-8''witty%20fox-logs.csv`,
  );
});
