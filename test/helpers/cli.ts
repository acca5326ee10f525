/** Runs `sightline` as a child process, the way users and other tools do. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface Served {
  child: ChildProcess;
  lines: Record<string, string>;
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Starts `sightline serve` and resolves once it has printed its start-up lines. */
export function serve(args: string[], env: Record<string, string> = {}, bin: string[] = [process.execPath, CLI]): Promise<Served> {
  const child = spawn(bin[0], [...bin.slice(1), 'serve', ...args], {
    // The REST gateway and MCP listeners take free ports too, so parallel tests never collide.
    env: { ...process.env, SIGHTLINE_REST_PORT: '0', SIGHTLINE_MCP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in time: ${out}\n${err}`));
    }, 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const lines = Object.fromEntries(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
      );
      if (lines.cloud) {
        clearTimeout(timer);
        resolve({ child, lines, stderr: () => err, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before starting: ${err}`));
    });
  });
}

/** Runs a short CLI command to completion. */
export function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
