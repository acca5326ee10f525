/** How Prefect Cloud orders observed loggers and observed states: by name, or most recently seen first. */
import { literal } from '../lib/schema.ts';

export const OBSERVED_SORTS = ['NAME_ASC', 'LAST_SEEN_DESC'] as const;
export type ObservedSort = (typeof OBSERVED_SORTS)[number];
export const observedSortSchema = literal(OBSERVED_SORTS);
