/**
 * A status line on stderr for work that takes more than a second (a long `logs` read, `serve`
 * starting): drawn only when stderr is a terminal, redrawn in place, erased when the work is
 * done. A pipe, a log file or CI gets nothing: they want the result, not a ticker.
 */

const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 500;
const ERASE = '\r\u001b[K';

export interface Progress {
  /** What is being done now (`1,400 logs read`); shown from the next redraw on. */
  set(status: string): void;
  /** Erases the line before other output goes to the same terminal; the next redraw brings it back. */
  clear(): void;
  /** Erases the line for good. */
  done(): void;
}

const SILENT: Progress = { set() {}, clear() {}, done() {} };

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  const started = Date.now();
  let status = '';
  let drawn = false;
  let redraw: NodeJS.Timeout | undefined;
  const draw = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    stream.write(`${ERASE}${label}${status ? `: ${status}` : ''} (${seconds} s)`);
    drawn = true;
  };
  const first = setTimeout(() => {
    draw();
    redraw = setInterval(draw, REDRAW_MS).unref();
  }, SHOW_AFTER_MS).unref();
  const clear = () => {
    if (drawn) stream.write(ERASE);
    drawn = false;
  };
  return {
    set(s) {
      status = s;
    },
    clear,
    done() {
      clearTimeout(first);
      clearInterval(redraw);
      clear();
    },
  };
}
