/**
 * The CLI's framework, the same for every command: `--help`/`-h` lists the command's options from
 * the config schema and does nothing else; unknown flags and stray arguments are errors;
 * `--version` prints the version.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { envName } from '../src/config/load.ts';
import { type OptionSpec, serveOptions } from '../src/config/schema.ts';
import { run } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const COMMANDS = [
  'serve',
  'mcp',
  'logs',
  'events',
  'runs',
  'trace',
  'accounts',
  'workspaces',
  'keys',
  'webhooks',
  'retention',
  'db',
];

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }),
  );
}

describe('sightline CLI', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await run(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `sightline ${version}\n`);
  });

  it('--help and -h of every command print its usage and options and touch nothing', async () => {
    const home = tempDir();
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        // Given with other arguments, even wrong ones, help wins and nothing starts.
        const r = await run([command, '--port', '1', flag, 'stray'], { HOME: home });
        assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: sightline ${command}`), command);
        assert.match(r.stdout, /-h, --help/, command);
        assert.equal(r.stderr, '', command);
      }
    }
    assert.equal(existsSync(join(home, '.sightline')), false, 'no data directory was created');
    const help = await run(['help', 'serve']);
    assert.match(help.stdout, /^usage: sightline serve/);
  });

  it("serve's help lists every option of the schema with its environment variable and default", async () => {
    const { stdout } = await run(['serve', '--help']);
    for (const [name, spec] of Object.entries(serveOptions) as [string, OptionSpec][]) {
      const at = stdout.indexOf(`--${name} `) >= 0 ? stdout.indexOf(`--${name} `) : stdout.indexOf(`--${name}\n`);
      assert.ok(at >= 0, `--${name} is listed`);
      const entry = stdout.slice(at, stdout.indexOf('\n  -', at + 1));
      assert.ok(entry.includes(spec.help), `--${name}: its meaning`);
      assert.ok(entry.includes(`env ${envName(name)}`), `--${name}: its variable`);
      if (typeof spec.default === 'number' || typeof spec.default === 'string')
        assert.ok(entry.includes(`default ${spec.default}`), `--${name}: its default`);
    }
    // Client commands read flags only: their help names no variable.
    const logs = await run(['logs', '--help']);
    assert.doesNotMatch(logs.stdout, /env SIGHTLINE_/);
    assert.match(logs.stdout, /^usage: sightline logs FLOW_RUN_ID \[options\]/);
    assert.match(logs.stdout, /-f, --follow/);
  });

  it('help texts are worded alike: sentences, defaults as (default: …), one wording per shared option', async () => {
    const texts: Record<string, Record<string, string>> = {};
    for (const command of COMMANDS) {
      const { stdout } = await run([command, '--help']);
      const options = stdout.slice(stdout.indexOf('\noptions:\n') + 10);
      // An entry: its flag (and value) then, after two or more spaces, its meaning, then its notes.
      for (const entry of options.split(/\n(?= {2}-)/)) {
        const [flag, help] = entry.trim().split(/\s{2,}/);
        const name = /--([\w-]+)/.exec(flag)![1];
        (texts[name] ??= {})[command] = help;
        assert.match(
          help,
          /^([A-Z]|[a-z]+ [a-z]+: )/,
          `${command} --${name}: a sentence, or an action's note: ${help}`,
        );
        assert.match(help, /[.)]$/, `${command} --${name}: ends its sentence: ${help}`);
        assert.doesNotMatch(help, /\bdefault(?!: |\))/, `${command} --${name}: a default as (default: …): ${help}`);
      }
    }
    const same = (name: string, commands: string[]) =>
      assert.equal(new Set(commands.map((c) => texts[name][c])).size, 1, `--${name} of ${commands}`);
    same('api', ['logs', 'events', 'runs', 'trace']);
    same('api-key', ['logs', 'events', 'runs', 'trace', 'mcp']);
    for (const c of ['logs', 'events', 'runs'])
      assert.match(texts.since[c], /: an ISO-8601 time, or a duration back from now \(90s, 15m, 2h, 7d\)\.$/, c);
    for (const c of ['logs', 'events', 'runs', 'trace', 'accounts', 'keys'])
      assert.match(texts.json[c], /^Print (each \w+( \w+)? as one JSON line|the tree as one JSON document)/, c);
  });

  it('help and the client commands load none of the server: no store, API, capabilities, Fastify', async () => {
    const tracer = new URL('./helpers/module-trace.ts', import.meta.url).href;
    const server = /\/src\/(store|api|ops|capabilities|ingest)\/|\/src\/main\.ts$|\/node_modules\/(fastify|pg|yaml)\//;
    for (const args of [['--help'], ...['runs', 'trace', 'logs', 'events', 'serve'].map((c) => [c, '--help'])]) {
      const r = await run(args, { NODE_OPTIONS: `--import=${tracer}` });
      assert.equal(r.code, 0, r.stderr);
      const modules = r.stderr
        .slice(r.stderr.indexOf('modules:\n') + 9)
        .split('\n')
        .filter(Boolean);
      assert.ok(
        modules.some((m) => m.endsWith('/src/cli/main.ts')),
        `${args}: the trace sees the CLI`,
      );
      assert.deepEqual(
        modules.filter((m) => server.test(m)),
        [],
        args.join(' '),
      );
      // Only the commands that stream (--follow) load the websocket client.
      if (['runs', 'trace'].includes(args[0]))
        assert.deepEqual(
          modules.filter((m) => m.includes('/node_modules/ws/')),
          [],
          args.join(' '),
        );
    }
  });

  it('mcp --stdio says which store or API it serves, and that a named API does not answer', async () => {
    const dir = tempDir();
    const store = await run(['mcp', '--stdio', '--data-dir', dir]);
    assert.equal(store.code, 0, store.stderr);
    assert.match(
      store.stderr,
      new RegExp(`^serving the tools of the store sqlite:${join(dir, 'sightline.db')} \\(no API named`),
    );
    // Which store, and one line per consumed API: no warnings about the shipped files.
    assert.equal(store.stderr.trim().split('\n').length, 4, store.stderr);
    const closed = await closedPort();
    const dead = await run(['mcp', '--stdio', '--api', `http://127.0.0.1:${closed}/api`]);
    assert.equal(dead.code, 1);
    assert.equal(
      dead.stderr,
      `sightline: cannot reach the API at http://127.0.0.1:${closed}/api (ECONNREFUSED): start it, or name another with --api\n`,
    );
    const root = await run(['runs', '--api', 'http://127.0.0.1:4200']);
    assert.equal(root.code, 2);
    assert.match(
      root.stderr,
      /is a server, not its API: the API URL ends in \/api \(http:\/\/127\.0\.0\.1:4200\/api\)/,
    );
  });

  it('unknown flags, long or short, and stray arguments are errors that name them', async () => {
    const home = tempDir();
    const cases: [string[], RegExp][] = [
      [['serve', '--nope'], /unknown option --nope/],
      [['serve', '-x'], /unknown option -x/],
      [['serve', 'stray'], /unexpected argument 'stray'/],
      [['mcp', '--stdio', 'stray'], /unexpected argument 'stray'/],
      [['runs', '-q'], /unknown option -q/],
      [['events', 'stray'], /unexpected argument 'stray'/],
      [['logs'], /missing FLOW_RUN_ID/],
      [['logs', '0192f0c4-0000-7000-8000-000000000001', 'stray'], /unexpected argument 'stray'/],
      [['trace', '-z', '0192f0c4-0000-7000-8000-000000000001'], /unknown option -z/],
      [['keys', 'list', '--nope'], /unknown option --nope/],
      [['accounts', 'list', '-q'], /unknown option -q/],
      [['workspaces', 'drop'], /unknown action 'drop'/],
      [['nonsense'], /unknown command 'nonsense'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, { HOME: home });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')}: no stack`);
    }
    assert.equal(existsSync(join(home, '.sightline')), false, 'no data directory was created');
  });
});
