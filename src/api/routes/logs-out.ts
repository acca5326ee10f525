/**
 * `WS /logs/out`: the live log stream. The subscriber's start position is fixed before the
 * handshake completes (before `auth_success`), so a client that reads stored logs after the
 * handshake and de-duplicates by id sees every log exactly once. A subscriber that falls more
 * than `--live-queue` logs behind is closed with 1013 instead of silently missing logs.
 */
import { type LogRow, renderLog } from '../../domain/logs.ts';
import { LiveSubscriber } from '../../ops/live/subscriber.ts';
import { LiveFilterError, parseLogFilterMessage } from '../../ops/logs/live-logs.ts';
import type { WsRouteDef } from '../websocket.ts';

/** Roughly what a queued log costs in memory: its text plus the fixed-size fields. */
const logSize = (row: LogRow) => 2 * (row.message.length + row.name.length) + 400;

export const logsOutRoute: WsRouteDef = {
  path: '/logs/out',
  async handler(ctx, session) {
    const subscriber = new LiveSubscriber<LogRow>(
      {
        send: (row, written) => session.send({ type: 'log', log: renderLog(row) }, written),
        unsentBytes: () => session.unsentBytes,
        overflow: (reason) => session.close(1013, reason),
      },
      { maxQueued: ctx.services.config['live-queue'], size: logSize, noun: 'logs' },
    );
    const unsubscribe = await ctx.services.liveLogs.subscribe(ctx.workspace.id, subscriber);
    const stop = () => {
      subscriber.stop();
      unsubscribe();
    };
    session.socket.once('close', stop);
    if (session.isClosed) return stop();
    if (!(await session.handshake())) return;
    const first = await session.next();
    if (first === null) return;
    try {
      subscriber.setFilter(parseLogFilterMessage(first));
    } catch (err) {
      if (!(err instanceof LiveFilterError)) throw err;
      session.close(1002, err.message);
      return;
    }
    // Prefect reads one filter per connection; later messages are ignored (not buffered).
    session.onMessage(() => {});
  },
};
