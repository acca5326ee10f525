/**
 * `/logs/out`: Prefect's live log stream. After the handshake the client sends
 * `{"type":"filter","filter":<LogFilter>}`; from then on it receives `{"type":"log","log":<Log>}`
 * for each new log matching the filter, in commit order. Rows come from the store through the
 * live hub; the filter is evaluated in memory (`domain/live-match/log-filter.ts`).
 */

import { invalidInput } from '../../domain/errors.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { compileLogFilter } from '../../domain/live-match/log-filter.ts';
import type { Predicate } from '../../domain/live-match/predicates.ts';
import { type LogRow, logFilterSchema } from '../../domain/logs.ts';
import { INVALID, type Issue } from '../../lib/schema.ts';
import type { Store } from '../../store/contract.ts';
import type { LiveSource } from '../live/hub.ts';

export function logLiveSource(store: Store): LiveSource<LogRow> {
  return {
    stream: 'logs',
    lastSeq: () => store.logs.lastSeq(),
    read: (workspaceId, after, upTo, limit) => store.logs.tail(workspaceId, { after, upTo, limit }),
  };
}

/** Why a first message was refused: the websocket close reason (code 1002). */
export class LiveFilterError extends Error {}

/** Parses the client's filter message into a matcher, or throws `LiveFilterError`. */
export function parseLogFilterMessage(text: string): Predicate<LogRow> {
  let msg: unknown;
  try {
    msg = parseJsonText(text);
  } catch {
    msg = undefined;
  }
  if (!msg || typeof msg !== 'object' || (msg as { type?: unknown }).type !== 'filter') {
    throw new LiveFilterError("Expected 'filter' message");
  }
  const issues: Issue[] = [];
  const filter = logFilterSchema.parse((msg as { filter?: unknown }).filter ?? null, ['filter'], issues);
  if (filter === INVALID || issues.length) {
    const first = invalidInput(issues).issues[0];
    throw new LiveFilterError(`Invalid filter: ${first ? `${first.loc.join('.')}: ${first.msg}` : 'invalid value'}`);
  }
  return compileLogFilter(filter);
}
