/**
 * A `LogFilter` compiled into an in-memory predicate, for `/logs/out`. Every field applies,
 * `text` and `operator` included (Prefect's live matcher ignores both), with the same meaning as
 * the store's query for `POST /logs/filter`: a log the stream delivers is exactly a log the same
 * filter would return from the store.
 */
import type { LogFilter, LogRow } from '../logs.ts';
import { combine, conditions, inList, nullness, type Predicate, range, textMatch } from './predicates.ts';

type Row = Pick<LogRow, 'level' | 'timestamp' | 'flow_run_id' | 'task_run_id' | 'worker_id' | 'name' | 'message'>;

export function compileLogFilter(f: LogFilter): Predicate<Row> {
  const subs: (Predicate<Row> | undefined)[] = [];
  if (f.level) subs.push(range((r) => r.level, f.level.ge_, f.level.le_));
  if (f.timestamp) subs.push(range((r) => r.timestamp, f.timestamp.after_, f.timestamp.before_));
  if (f.flow_run_id?.any_) subs.push(inList((r) => r.flow_run_id, f.flow_run_id.any_));
  if (f.task_run_id) {
    const t = f.task_run_id;
    subs.push(
      conditions(
        t.any_ ? inList((r) => r.task_run_id, t.any_) : undefined,
        t.is_null_ !== undefined ? nullness((r) => r.task_run_id, t.is_null_) : undefined,
      ),
    );
  }
  if (f.worker_id) {
    const w = f.worker_id;
    const excluded = w.not_any_?.length ? inList((r: Row) => r.worker_id, w.not_any_) : undefined;
    subs.push(
      conditions(
        w.any_ ? inList((r) => r.worker_id, w.any_) : undefined,
        excluded ? (r) => !excluded(r) : undefined,
        w.is_null_ !== undefined ? nullness((r) => r.worker_id, w.is_null_) : undefined,
      ),
    );
  }
  if (f.loggers?.any_) subs.push(inList((r) => r.name, f.loggers.any_));
  if (f.text) subs.push(textMatch(f.text.query, (r) => `${r.message} ${r.name}`));
  return combine(
    f.operator,
    subs.filter((p): p is Predicate<Row> => p !== undefined),
  );
}
