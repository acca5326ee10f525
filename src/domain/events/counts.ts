/** Count-by: what can be counted, and the rows and buckets of a count. */
import type { Micros } from '../time.ts';

export const COUNTABLES = ['day', 'time', 'event', 'resource', 'workspace', 'actor'] as const;
export type Countable = (typeof COUNTABLES)[number];
/** What the store groups by (`day` is `time` with one-day buckets). */
export type CountKey = Exclude<Countable, 'day'>;

/** One group of a count-by, before rendering. */
export interface EventCountRow {
  /** Group key: bucket index, event name, resource id, workspace id (`''` for the account), actor id (`''`: none). */
  value: string;
  /** Latest display name of the resource or actor, when there is one. */
  label: string | null;
  count: number;
  first: Micros;
  last: Micros;
}

/** Time buckets of `width` microseconds counted from `origin` (bucket k starts at origin + k·width). */
export interface TimeBuckets {
  origin: Micros;
  width: Micros;
}
