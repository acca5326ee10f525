/**
 * The caller of a gateway or MCP request, carried into the in-process calls it makes (under
 * `--auth`): the native API then judges the caller's own key, so nothing reaches more through the
 * gateway than directly. Async context, because the MCP SDK stands between the listener and the
 * tool call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const context = new AsyncLocalStorage<Record<string, string>>();

/** Runs `fn` with `authorization` (the caller's header, if any) carried into in-process calls. */
export function asCaller<T>(authorization: string | string[] | undefined, fn: () => T): T {
  const h = Array.isArray(authorization) ? authorization[0] : authorization;
  return context.run(h ? { authorization: h } : {}, fn);
}

/** The headers that name the current caller to the native API (none outside `asCaller`). */
export function callerHeaders(): Record<string, string> {
  return context.getStore() ?? {};
}
