/**
 * Live updates over the server's websockets (`/events/out`, `/logs/out`), with Prefect's
 * handshake: the `prefect` subprotocol, an `auth` message carrying the key, then the filter.
 * A dropped socket is reopened after a pause.
 */
import { useEffect, useRef } from 'preact/hooks';
import { apiKey, socketUrl } from './api.ts';

function open(
  path: string,
  filter: unknown,
  onMessage: (m: { type: string } & Record<string, unknown>) => void,
  onSubscribed?: () => void,
) {
  let socket: WebSocket | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    socket = new WebSocket(socketUrl(path), 'prefect');
    socket.onopen = () => socket?.send(JSON.stringify({ type: 'auth', token: apiKey() }));
    socket.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.type === 'auth_success') {
        socket?.send(JSON.stringify({ type: 'filter', filter }));
        onSubscribed?.();
      } else onMessage(m);
    };
    socket.onclose = () => {
      if (!closed) retry = setTimeout(connect, 3000);
    };
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    socket?.close();
  };
}

/**
 * Calls `onChange` (at most every 2 s) when an event whose name starts with one of `prefixes`
 * arrives, while `enabled`.
 */
export function useEventStream(prefixes: string[], onChange: () => void, enabled = true): void {
  const cb = useRef(onChange);
  cb.current = onChange;
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const filter = { event: { prefix: prefixes }, occurred: { since: new Date().toISOString() } };
    const stop = open('/events/out', filter, (m) => {
      if (m.type !== 'event' || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        cb.current();
      }, 2000);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [prefixes.join(','), enabled]);
}

/**
 * Streams the logs committed after the subscription that match `filter` (a LogFilter), in commit
 * order. `onSubscribed` runs once the server has fixed the stream's start (on every reconnect):
 * logs read from then on, plus the stream, are every log exactly once.
 */
export function useLogTail<T>(filter: unknown | undefined, onLog: (log: T) => void, onSubscribed: () => void): void {
  const cb = useRef({ onLog, onSubscribed });
  cb.current = { onLog, onSubscribed };
  const key = JSON.stringify(filter);
  useEffect(() => {
    if (filter === undefined) return;
    return open(
      '/logs/out',
      filter,
      (m) => {
        if (m.type === 'log') cb.current.onLog(m.log as T);
      },
      () => cb.current.onSubscribed(),
    );
  }, [key]);
}
