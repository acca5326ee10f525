/**
 * Runs `sightline` as a child process, the way users and other tools do. Every start-up and every
 * command gets a generous deadline (a loaded machine starts Node slowly); a child that misses it
 * is killed and the failure shows everything it printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `sightline` command as package.json's "bin" names it. */
export const CLI = fileURLToPath(new URL('../../bin/sightline.js', import.meta.url));

/** How long a child may take to start (or a command to finish) before the test gives up on it. */
export const CHILD_DEADLINE_MS = 120_000;

export interface Served {
  child: ChildProcess;
  lines: Record<string, string>;
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Starts `sightline serve` and resolves once it has printed its start-up lines (through `mcp`, or
 * `cloud` when the capabilities are off).
 */
export function serve(
  args: string[],
  env: Record<string, string> = {},
  bin: string[] = [process.execPath, CLI],
): Promise<Served> {
  const child = spawn(bin[0], [...bin.slice(1), 'serve', ...args], {
    // The REST gateway and MCP listeners take free ports too, so parallel tests never collide.
    env: { ...process.env, SIGHTLINE_REST_PORT: '0', SIGHTLINE_MCP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const last = args.includes('--no-capabilities') || env.SIGHTLINE_NO_CAPABILITIES ? 'cloud' : 'mcp';
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within ${CHILD_DEADLINE_MS / 1000} s.\nstdout:\n${out}\nstderr:\n${err}`));
    }, CHILD_DEADLINE_MS);
    child.stdout!.on('data', (d) => {
      out += d;
      const lines = Object.fromEntries(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
      );
      if (lines[last] && out.endsWith('\n')) {
        clearTimeout(timer);
        resolve({ child, lines, stderr: () => err, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before starting.\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/** A CLI child whose output can be awaited while it runs (`--follow`). */
export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the child has exited and its output is read. */
  exit: Promise<number | null>;
}

/** Starts a CLI command; `env` values of `undefined` remove the variable. It is killed after the deadline. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const child = spawn(process.execPath, [CLI, ...args], {
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_DEADLINE_MS);
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs a CLI command to completion. */
export async function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = spawnCli(args, env);
  const code = await r.exit;
  return { code: code ?? -1, stdout: r.stdout(), stderr: r.stderr() };
}

/** Waits (polling) until `cond()` holds; fails after `ms` naming what it waited for. */
export async function until(cond: () => boolean, what: string, ms = CHILD_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
