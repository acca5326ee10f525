/**
 * What went wrong when `serve` (or `mcp --stdio` on a store) could not open its data directory or
 * database, said with the path, the reason and the flag to change, instead of a stack trace.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartupError } from '../config/startup-error.ts';
import { AppError } from '../domain/errors.ts';

type SystemError = NodeJS.ErrnoException & { errcode?: number; errstr?: string; address?: string; port?: number };

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EEXIST: 'it is a file, not a directory',
  ENOSPC: 'no space left on the device',
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  ETIMEDOUT: 'no answer',
};

/** SQLite's primary result codes that say the file cannot be used as it is. */
const SQLITE_READONLY = 8;
const SQLITE_CANTOPEN = 14;

function kind(path: string): 'directory' | 'file' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why SQLite could not open or write `path`, found by looking at the file and its directory. */
function fileProblem(path: string): string | undefined {
  const dir = dirname(path);
  if (kind(path) === 'directory') return 'it is a directory';
  if (kind(dir) === 'missing') return 'its directory does not exist';
  if (kind(dir) === 'file') return `${dir} is a file, not a directory`;
  if (kind(path) === 'file' && !writable(path)) return 'the file is not writable by this user';
  if (!writable(dir)) return `its directory ${dir} is not writable by this user`;
  return undefined;
}

export function startupFailure(err: unknown, config: { 'data-dir': string; db: string }): unknown {
  if (err instanceof AppError || err instanceof StartupError) return err;
  const e = err as SystemError;
  const fail = (message: string) => new StartupError(message, { cause: err });
  if (config.db.startsWith('sqlite:')) {
    const path = config.db.slice('sqlite:'.length);
    if (e?.syscall === 'mkdir' && e.code && REASONS[e.code])
      return fail(`cannot create the data directory ${e.path}: ${REASONS[e.code]} (choose another with --data-dir)`);
    if (e?.code === 'ERR_SQLITE_ERROR' && e.errcode !== undefined) {
      const code = e.errcode & 0xff;
      const why = fileProblem(path) ?? e.errstr ?? e.message;
      if (code === SQLITE_READONLY)
        return fail(
          `the database ${path} is read-only: ${why} (make it writable, or choose another with --data-dir or --db)`,
        );
      if (code === SQLITE_CANTOPEN || fileProblem(path))
        return fail(`cannot open the database ${path}: ${why} (choose another with --data-dir or --db)`);
      return fail(`cannot use the database ${path}: ${e.errstr ?? e.message}`);
    }
  } else if (e?.code && REASONS[e.code] && e.syscall !== 'listen') {
    return fail(`cannot reach the database${e.address ? ` at ${e.address}:${e.port}` : ''}: ${REASONS[e.code]} (--db)`);
  }
  return err;
}
