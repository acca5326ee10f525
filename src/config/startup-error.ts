/**
 * Why `serve` (or `mcp --stdio`) could not start, in the user's terms: the flag to change, the
 * path and what is wrong with it. The CLI prints the message alone and exits 1. Every listener
 * passes its bind failure through `listenFailure` with the flag that moves it.
 */
export class StartupError extends Error {}

type ListenError = NodeJS.ErrnoException & { address?: string; port?: number };

/** A listener that could not bind: which address, and which flag moves it. */
export function listenFailure(err: unknown, flag: string): unknown {
  const e = err as ListenError;
  const fail = (message: string) => new StartupError(message, { cause: err });
  if (e?.code === 'EADDRINUSE')
    return fail(`port ${e.port} on ${e.address} is already in use: choose another with ${flag} (0 = any free port)`);
  if (e?.code === 'EACCES')
    return fail(`not allowed to listen on port ${e.port} of ${e.address}: choose another with ${flag}`);
  if (e?.code === 'EADDRNOTAVAIL')
    return fail(`cannot listen on ${e.address}: not an address of this machine (--host)`);
  return err;
}
