/**
 * The caller of a gateway or MCP request, carried into the in-process calls it makes: the native
 * API then judges the caller's own key (under `--auth`), so nothing reaches more through the
 * gateway than directly, and counts what the calls write against the caller's key or address.
 * Async context, because the MCP SDK stands between the listener and the tool call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface CallerContext {
  headers: Record<string, string>;
  address?: string;
  /** Aborted when the caller's HTTP request goes away before its answer was sent. */
  signal?: AbortSignal;
}

const context = new AsyncLocalStorage<CallerContext>();

/**
 * Runs `fn` with `authorization` (the caller's header, if any) and `address` (the client's, as the
 * listener saw it) carried into in-process calls.
 */
export function asCaller<T>(
  authorization: string | string[] | undefined,
  address: string,
  fn: () => T,
  signal?: AbortSignal,
): T {
  const h = Array.isArray(authorization) ? authorization[0] : authorization;
  return context.run({ headers: h ? { authorization: h } : {}, address, signal }, fn);
}

/** Aborted when the current caller's request went away (undefined outside `asCaller`). */
export function callerSignal(): AbortSignal | undefined {
  return context.getStore()?.signal;
}

/** The headers that name the current caller to the native API (none outside `asCaller`). */
export function callerHeaders(): Record<string, string> {
  return context.getStore()?.headers ?? {};
}

/** The current caller's address (undefined outside `asCaller`). */
export function callerAddress(): string | undefined {
  return context.getStore()?.address;
}
