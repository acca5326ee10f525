/** `POST /logs/filter`: a page of logs matching a `LogFilter`. */
import {
  LOG_LIMIT_DEFAULT,
  LOG_LIMIT_MAX,
  LOG_OFFSET_MAX_CLOUD,
  type LogRow,
  logFilterSchema,
  logSortSchema,
} from '../../domain/logs.ts';
import { type Infer, int, object, optional } from '../../lib/schema.ts';
import { type OpContext, type PathFamily, storeOf } from '../context.ts';

function bodySchema(offsetMax?: number) {
  return object({
    logs: optional(logFilterSchema, () => ({ operator: 'and_' as const })),
    sort: optional(logSortSchema, () => 'TIMESTAMP_ASC' as const),
    limit: optional(int({ min: 0, max: LOG_LIMIT_MAX }), () => LOG_LIMIT_DEFAULT),
    offset: optional(int({ min: 0, max: offsetMax }), () => 0),
  });
}

const schemas = { oss: bodySchema(), cloud: bodySchema(LOG_OFFSET_MAX_CLOUD) };
export type FilterLogsInput = Infer<(typeof schemas)['oss']>;

export function filterLogsSchema(family: PathFamily) {
  return schemas[family];
}

export function filterLogs(ctx: OpContext, input: FilterLogsInput): Promise<LogRow[]> {
  return storeOf(ctx.services).logs.filter(ctx.workspace.id, {
    filter: input.logs,
    sort: input.sort,
    limit: input.limit,
    offset: input.offset,
  });
}
