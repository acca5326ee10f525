/**
 * Issue 13, defect 4: one rule for text, the same on both engines. NUL characters are removed
 * from every string Sightline receives (queries included), and UTF-16 that is not well formed (a
 * lone surrogate escape) becomes U+FFFD, as a UTF-8 decoder does with invalid bytes — in stored
 * fields, JSON payloads (keys too) and query parameters alike. Nothing of it is a 500.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4 } from '../../src/domain/ids.ts';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { logItem } from '../helpers/logs.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** JSON text with the escapes a hostile client would send (`JSON.stringify` would not). */
const raw = (v: unknown) => JSON.stringify(v).replaceAll('<NUL>', '\\u0000').replaceAll('<LONE>', '\\ud800');

forEachEngine('one text rule for NUL and ill-formed Unicode', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: string) => {
    const r = await s.request(method, path, body);
    assert.ok(r.statusCode < 300, `${method} ${path} → ${r.statusCode} ${r.body}`);
    return r.body ? JSON.parse(r.body) : undefined;
  };

  it('stores logs, events and runs without NUL and with U+FFFD for lone surrogates', async () => {
    const run = uuid4();
    await ok(
      'POST',
      s.oss('/logs/'),
      raw([logItem({ flow_run_id: run, name: 'lo<NUL>gger', message: 'a<NUL>b <LONE>' })]),
    );
    const [log] = await ok('GET', s.oss(`/flow_runs/${run}/logs`));
    assert.equal(log.name, 'logger');
    assert.equal(log.message, 'ab \ufffd');

    const e = ev({ event: 'text.ev<NUL>nt<LONE>', payload: { 'k<NUL>': 'v<NUL>', nested: [{ '<LONE>': '<LONE>x' }] } });
    await ok('POST', s.cloud('/events'), raw([e]));
    const page = await ok('POST', s.cloud('/events/filter'), JSON.stringify({ filter: { id: { id: [e.id] } } }));
    assert.equal(page.events[0].event, 'text.evnt\ufffd');
    assert.deepEqual(page.events[0].payload, { k: 'v', nested: [{ '\ufffd': '\ufffdx' }] });

    const c = new RunClient(s);
    const flow = await c.flow('text-flow');
    const fr = await c.run(flow.id);
    const patched = await s.request(
      'PATCH',
      s.oss(`/flow_runs/${fr.id}`),
      raw({ name: 'ru<NUL>n<LONE>', tags: ['t<NUL>ag'] }),
    );
    assert.equal(patched.statusCode, 204, patched.body);
    const got = await c.getRun(fr.id);
    assert.equal(got.name, 'run\ufffd');
    assert.deepEqual(got.tags, ['tag']);
    const found = await ok(
      'POST',
      s.oss('/flow_runs/filter'),
      raw({ flow_runs: { name: { any_: ['ru<NUL>n<LONE>'] } } }),
    );
    assert.deepEqual(
      found.map((r: { id: string }) => r.id),
      [fr.id],
    );
    await ok('POST', s.oss('/flow_runs/filter'), raw({ flow_runs: { name: { like_: '<NUL><LONE>' } } }));
    await ok(
      'POST',
      s.oss('/task_runs/filter'),
      raw({ task_runs: { name: { any_: ['<NUL>'], like_: '<LONE><NUL>' } } }),
    );
    await ok('POST', s.oss('/flows/filter'), raw({ flows: { name: { any_: ['<NUL>'], like_: '<LONE>' } } }));
  });

  it('treats query parameters by the same rule', async () => {
    for (const q of ['%00', 'a%00b', '%ED%A0%80', '%FF%FE']) {
      await ok('GET', s.oss(`/observed-loggers?query=${q}`));
      await ok('GET', s.oss(`/tags?search=${q}`));
      await ok('DELETE', s.oss(`/tags?tag=x${q}`));
      const trace = await s.request('GET', s.oss(`/traces/${uuid4()}?query=${q}`));
      assert.equal(trace.statusCode, 404, trace.body);
      await ok(
        'POST',
        s.oss('/logs/filter'),
        raw({ logs: { text: { query: `${decodeURIComponent('%25')}<NUL><LONE>` }, loggers: { any_: ['<NUL>'] } } }),
      );
    }
  });
});
