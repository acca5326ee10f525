/**
 * Retention (issue 24): how long logs, events and finished run trees are kept. Durations are whole
 * seconds; 0 keeps forever. A workspace's own settings (stored in the database, shared by every
 * instance) win over the server's flags and event-name overrides.
 */
import type { Micros } from './time.ts';

export const RETENTION_KINDS = ['logs', 'events', 'runs'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Seconds per kind; 0 = forever. */
export type RetentionDurations = Record<RetentionKind, number>;

/** A workspace's stored settings: a kind left null follows the server's flags. */
export type WorkspaceRetention = Record<RetentionKind, number | null>;

export interface EventOverride {
  prefix: string;
  seconds: number;
}

/** What the server's flags say. */
export interface RetentionFlags extends RetentionDurations {
  eventOverrides: EventOverride[];
}

/** The settings in force for one workspace. */
export interface RetentionPolicy extends RetentionDurations {
  /** Longest prefix first; empty when the workspace's own events setting applies. */
  eventOverrides: EventOverride[];
}

export function policyFor(flags: RetentionFlags, ws: WorkspaceRetention | undefined): RetentionPolicy {
  return {
    logs: ws?.logs ?? flags.logs,
    events: ws?.events ?? flags.events,
    runs: ws?.runs ?? flags.runs,
    eventOverrides: ws?.events != null ? [] : flags.eventOverrides,
  };
}

/** The time before which rows of a kind kept `seconds` go; undefined when kept forever. */
export function cutoff(now: Micros, seconds: number): Micros | undefined {
  return seconds > 0 ? now - seconds * 1_000_000 : undefined;
}

/**
 * The event-name groups one sweep deletes by, each with its cutoff: every override prefix (minus
 * longer overrides inside it), then every other name under the global setting. A group kept
 * forever is left out.
 */
export function eventGroups(policy: RetentionPolicy, now: Micros): EventGroup[] {
  const groups: EventGroup[] = [];
  const prefixes = policy.eventOverrides.map((o) => o.prefix);
  for (const o of policy.eventOverrides) {
    const before = cutoff(now, o.seconds);
    const exclude = prefixes.filter((p) => p !== o.prefix && p.startsWith(o.prefix));
    if (before !== undefined) groups.push({ before, prefix: o.prefix, exclude });
  }
  const before = cutoff(now, policy.events);
  if (before !== undefined) groups.push({ before, exclude: prefixes });
  return groups;
}

/** Events older than `before` whose name starts with `prefix` (any name when absent) and with none of `exclude`. */
export interface EventGroup {
  before: Micros;
  prefix?: string;
  exclude: string[];
}

/** Whose events a deletion reads: a workspace's, or (`workspaceId` null) the account-level ones. */
export interface EventOwner {
  accountId: string;
  workspaceId: string | null;
}

/** Rows (or run trees) removed by a sweep, per kind. */
export interface RemovedCounts {
  logs: number;
  events: number;
  runs: number;
  spans: number;
}

export interface SweepRecord {
  started: Micros;
  finished: Micros;
  removed: RemovedCounts;
}
