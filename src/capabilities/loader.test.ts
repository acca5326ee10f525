/** Loading and validating capability files: what the seeds produce, and how broken files are reported. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bindCapabilities } from './engine.ts';
import { buildRequest, resolveValues } from './invoke.ts';
import { BUILTIN_DIR, CapabilityLoadError, loadCapabilities, problemsToReport } from './loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'sightline-caps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const seed = (name: string) => readFileSync(join(BUILTIN_DIR, name), 'utf8');

describe('capability loader', () => {
  it('loads the three seed files with warnings only', () => {
    const set = loadCapabilities({ env: {} });
    assert.equal(set.capabilities.length, 3);
    assert.equal(set.capabilities.flatMap((c) => c.mcp.flatMap((m) => m.tools)).length, 28);
    // 28 declared; prefect-events.yaml repeats POST /v1/api/accounts/{account-id}/events word for word.
    assert.equal(
      set.capabilities.flatMap((c) => c.rest.flatMap((r) => r.resources.flatMap((x) => x.operations))).length,
      27,
    );
    assert.ok(set.problems.every((p) => p.severity === 'warning'));
    const events = set.problems.filter((p) => p.file.endsWith('prefect-events.yaml'));
    assert.ok(
      events.some((p) => p.line === 43 && /declared twice/.test(p.message)),
      'the duplicate consumed operation',
    );
    assert.ok(events.some((p) => /Empty 'baseUri'/.test(p.message)));
    // Declared as the native API declares them, so an `--upstream` (which keeps the declared
    // schemas) sends the same types: integers, booleans, arrays of text, JSON array bodies.
    assert.deepEqual(loadCapabilities({ env: {}, nativeApi: true }).corrections, []);
    const consumed = set.capabilities.flatMap((c) => c.consumes.flatMap((api) => api.operations));
    const read = consumed.find((o) => o.path.endsWith('/flow_runs/{id}/logs'))!;
    assert.equal(read.params.find((p) => p.name === 'level_ge')?.schema.type, 'integer');
  });

  it("reports the shipped files' generator conventions only at debug, a user's file's always", () => {
    const shipped = loadCapabilities({ env: {}, nativeApi: true }).problems;
    assert.ok(shipped.length > 0 && shipped.every((p) => p.convention), 'the shipped files have only conventions');
    assert.deepEqual(problemsToReport(shipped, false), []);
    assert.deepEqual(problemsToReport(shipped, true), shipped);
    const repeats = shipped.filter((p) => /declared twice/.test(p.message));
    assert.deepEqual(
      repeats.map((p) => [p.line, /identically .* the repeat is dropped/.test(p.message)]),
      [
        [43, true],
        [349, true],
      ],
    );
    const own = write('own.yaml', seed('prefect-logs.yaml').replaceAll('prefect-logs', 'own-logs'));
    const mine = loadCapabilities({ paths: [own], builtin: false, env: {} }).problems;
    assert.ok(mine.some((p) => /generator convention/.test(p.message)));
    assert.deepEqual(problemsToReport(mine, false), mine);
  });

  it('reports a broken file with file, line and a sentence, and refuses to start', () => {
    const broken = seed('prefect-logs.yaml')
      .replace(
        'call: prefect-logs.readlogsapiaccountsaccountidworkspacesworkspaceidlogsfilterpost\n      with:\n        account_id: tools',
        'call: prefect-logs.nope\n      with:\n        account_id: tools',
      )
      .replace('    port: 8080', '    port: ninety');
    const file = write('broken.yaml', broken);
    const err = (() => {
      try {
        loadCapabilities({ paths: [file], builtin: false, env: {} });
      } catch (e) {
        return e as CapabilityLoadError;
      }
      throw new Error('no error');
    })();
    assert.ok(err instanceof CapabilityLoadError);
    const lines = broken.split('\n');
    const errors = err.problems.filter((p) => p.severity === 'error');
    const call = errors.find((p) => /names no operation of 'prefect-logs'/.test(p.message))!;
    assert.match(lines[call.line - 1], /call: prefect-logs\.nope/);
    const port = errors.find((p) => /'port'/.test(p.message))!;
    assert.match(lines[port.line - 1], /port: ninety/);
    assert.match(err.message, new RegExp(`${file}:${call.line}: error: 'call: prefect-logs.nope' names no operation`));
  });

  it('reports YAML syntax errors and missing files', () => {
    const file = write('syntax.yaml', 'naftiko: 1.0.0-alpha2\ninfo:\n  label: [unclosed\n');
    assert.throws(
      () => loadCapabilities({ paths: [file], builtin: false, env: {} }),
      /syntax\.yaml:\d+: error: YAML syntax error/,
    );
    assert.throws(
      () => loadCapabilities({ paths: [join(dir, 'missing.yaml')], builtin: false, env: {} }),
      /missing\.yaml:1: error: No such capability file/,
    );
  });

  it('sends no Authorization header when the bind has no value, and the key when it has one', async () => {
    const file = write(
      'remote.yaml',
      `naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys:
    REMOTE_KEY: REMOTE_KEY
capability:
  consumes:
  - type: http
    namespace: remote
    baseUri: http://127.0.0.1:9
    resources:
    - name: item
      path: /items/{id}
      operations:
      - name: get-item
        inputParameters:
        - name: id
          in: path
        - name: ids
          in: query
          type: array
  exposes:
  - type: mcp
    namespace: remote-mcp
    port: 9090
    tools:
    - name: get-item
      call: remote.get-item
      with:
        id: tools.id
        ids: tools.ids
`,
    );
    for (const [env, expected] of [
      [{}, undefined],
      [{ REMOTE_KEY: 'k1' }, 'Bearer k1'],
    ] as const) {
      const set = loadCapabilities({ paths: [file], builtin: false, env });
      const bound = bindCapabilities({ set });
      const entry = bound.allTools[0];
      const args: Record<string, unknown> = { id: 'a b', ids: ['x', 'y'] };
      const req = buildRequest(
        entry.tool,
        entry.binding,
        await resolveValues(entry.tool, entry.binding, (n) => args[n]),
      );
      assert.equal(req.path, '/items/a%20b?ids=x&ids=y');
      assert.equal(req.headers.authorization, expected);
    }
  });
});
