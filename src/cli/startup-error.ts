/**
 * Why `serve` (or `mcp --stdio`) could not start, in the user's terms: the flag to change, the
 * path and what is wrong with it. The CLI prints the message alone and exits 1.
 */
export class StartupError extends Error {}

type SystemError = NodeJS.ErrnoException & { address?: string; port?: number };

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  ENOSPC: 'no space left on the device',
  EISDIR: 'it is a directory',
};

/** The reason of a file-system error, in words. */
export function reasonOf(err: SystemError): string {
  return (err.code && REASONS[err.code]) ?? err.message;
}

/** A listener that could not bind: which address, and which flag moves it. */
export function listenFailure(err: unknown, flag: string): unknown {
  const e = err as SystemError;
  if (e?.code === 'EADDRINUSE')
    return new StartupError(
      `port ${e.port} on ${e.address} is already in use: choose another with ${flag} (0 = any free port)`,
    );
  if (e?.code === 'EACCES')
    return new StartupError(`not allowed to listen on port ${e.port} of ${e.address}: choose another with ${flag}`);
  if (e?.code === 'EADDRNOTAVAIL')
    return new StartupError(`cannot listen on ${e.address}: not an address of this machine (--host)`);
  return err;
}
