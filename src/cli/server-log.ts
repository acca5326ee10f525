/**
 * The server's log (Fastify's pino): JSON lines for machines (`--log-format json`, and by default
 * when stdout is not a terminal), one readable line per entry on a terminal. Fastify's "Server
 * listening at" entries are left out: the start-up summary names every listener.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, shown in the line's head rather than as key=value. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One pino JSON line as `12:00:00.000 WARN  message key=value …` (an error's stack only at debug). */
export function readableLine(json: string, debug: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json;
  }
  const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([k]) => !HEAD.has(k))
    .map(([k, v]) => {
      if (k === 'err' && v && typeof v === 'object') {
        const err = v as { message?: string; stack?: string };
        return debug && err.stack ? `\n${err.stack}` : `err="${err.message}"`;
      }
      return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    });
  return `${time} ${level} ${entry.msg ?? ''}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

export function serverLogger(
  level: string,
  format: 'pretty' | 'json',
  out: NodeJS.WritableStream = process.stdout,
): false | object {
  if (level === 'silent') return false;
  const hooks = {
    logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
      if (typeof args[0] === 'string' && args[0].startsWith('Server listening at')) return;
      method.apply(this, args);
    },
  };
  if (format === 'json') return { level, hooks, stream: out };
  return { level, hooks, stream: { write: (line: string) => out.write(readableLine(line, level === 'debug')) } };
}
