/** Text as the agent tools return it: long messages cut, tracebacks picked out of log messages. */

/** Longest message a tool returns whole; longer ones are cut and marked `message_truncated`. */
export const MESSAGE_MAX = 2000;
/** Lines of a traceback kept (its end: where the exception was raised and the exception). */
export const TRACEBACK_LINES = 50;

export function cutMessage(message: string | null): { message: string | null; message_truncated?: true } {
  if (message === null || message.length <= MESSAGE_MAX) return { message };
  return { message: `${message.slice(0, MESSAGE_MAX)}…`, message_truncated: true };
}

/**
 * The Python traceback in a log message: from its last `Traceback (most recent call last):` to
 * the end, at most the last `TRACEBACK_LINES` lines; null when the message holds none.
 */
export function tracebackOf(message: string): string | null {
  const at = message.lastIndexOf('Traceback (most recent call last):');
  if (at < 0) return null;
  return tracebackTail(message.slice(at));
}

/** The last `TRACEBACK_LINES` lines of a traceback or stack trace (where it was raised, and what). */
export function tracebackTail(trace: string): string {
  return trace.replace(/\s+$/, '').split('\n').slice(-TRACEBACK_LINES).join('\n');
}

/** The exception line of a traceback (`KeyError: 'id'`): its last line that is not indented. */
export function exceptionLine(traceback: string): string | null {
  const lines = traceback.split('\n');
  for (let i = lines.length - 1; i > 0; i--) if (lines[i].trim() && !/^\s/.test(lines[i])) return lines[i].trim();
  return null;
}

/** A compact text line for a log (`format: text`): time, level, logger and message. */
export function logLine(l: { timestamp: string; level_name: string; logger: string; message: string }): string {
  return `${l.timestamp} ${l.level_name.padEnd(8)} ${l.logger} | ${l.message}`;
}
