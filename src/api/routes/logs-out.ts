/**
 * `WS /logs/out`: the live log stream. The subscriber's start position is fixed before the
 * handshake completes (before `auth_success`), so a client that reads stored logs after the
 * handshake and de-duplicates by id sees every log exactly once. Matching logs wait while the
 * socket has `--ws-max-buffer` bytes unsent; a subscriber with more than `--live-queue` logs
 * waiting is closed with 1013 instead of silently missing logs.
 */
import { type LogRow, renderLog } from '../../domain/logs.ts';
import { LiveSubscriber } from '../../ops/live/subscriber.ts';
import { LiveFilterError, parseLogFilterMessage } from '../../ops/logs/live-logs.ts';
import type { WsRouteDef } from '../websocket.ts';

/** Roughly what a queued log costs in memory: its text plus the fixed-size fields. */
const logSize = (row: LogRow) => 2 * (row.message.length + row.name.length) + 400;

/** Each log is serialised once, however many subscribers it goes to (the hub shares the rows). */
const frames = new WeakMap<LogRow, string>();
function frameOf(row: LogRow): string {
  let text = frames.get(row);
  if (text === undefined) {
    text = JSON.stringify({ type: 'log', log: renderLog(row) });
    frames.set(row, text);
  }
  return text;
}

export const logsOutRoute: WsRouteDef = {
  path: '/logs/out',
  scope: 'read',
  async handler(ctx, session) {
    const subscriber = new LiveSubscriber<LogRow>(
      {
        send: (row, written) => session.sendText(frameOf(row), written),
        unsentBytes: () => session.unsentBytes,
        overflow: (reason) => session.close(1013, reason),
      },
      {
        maxQueued: ctx.services.config['live-queue'],
        maxUnsentBytes: session.limits.maxBuffer,
        size: logSize,
        noun: 'logs',
      },
    );
    session.heldBytes = () => subscriber.waitingBytes;
    const unsubscribe = await ctx.services.liveLogs.subscribe(ctx.workspace.id, subscriber);
    session.onClose(() => {
      subscriber.stop();
      unsubscribe();
    });
    if (!(await session.handshake())) return;
    const first = await session.nextInTime('filter');
    if (first === null) return;
    try {
      subscriber.setFilter(parseLogFilterMessage(first));
    } catch (err) {
      if (!(err instanceof LiveFilterError)) throw err;
      session.close(1002, err.message);
      return;
    }
    // Prefect reads one filter per connection; later messages are ignored (not buffered).
    session.ignoreMessages();
  },
};
