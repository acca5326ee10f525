/** What an MCP tool call gets from the SDK that Sightline uses: cancellation and progress. */
import { callerSignal } from './caller-context.ts';

/** What a tool call gets from the SDK: cancellation, and how to report progress (when asked). */
export interface CallContext {
  signal?: AbortSignal;
  /** Sends `notifications/progress` for the call's progress token; absent when none was given. */
  progress?: (done: number, message: string) => Promise<void>;
}

/** The call context of an SDK request: its abort signal, and progress when the client asked for it. */
export function callContext(ctx: unknown): CallContext {
  const req = (
    ctx as {
      mcpReq?: {
        signal?: AbortSignal;
        _meta?: { progressToken?: string | number };
        notify?: (n: unknown) => Promise<void>;
      };
    }
  )?.mcpReq;
  const token = req?._meta?.progressToken;
  const signals = [req?.signal, callerSignal()].filter((x): x is AbortSignal => !!x);
  return {
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    progress:
      token !== undefined && req?.notify
        ? (done, message) =>
            req.notify!({
              method: 'notifications/progress',
              params: { progressToken: token, progress: done, message },
            }).catch(() => {})
        : undefined,
  };
}
