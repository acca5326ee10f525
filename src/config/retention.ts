/** Parsing the retention settings of flags and of `sightline workspaces set-retention`. */
import { AppError } from '../domain/errors.ts';
import type { EventOverride, RetentionFlags } from '../domain/retention.ts';
import { DURATION_HELP, parseDuration } from './duration.ts';
import type { ServeConfig } from './schema.ts';

/** `PREFIX=DURATION` values of `--retention-events-override`; a clear error names a bad one. */
export function parseEventOverrides(values: readonly string[]): EventOverride[] {
  const out = new Map<string, number>();
  for (const raw of values) {
    const eq = raw.lastIndexOf('=');
    const prefix = eq > 0 ? raw.slice(0, eq).trim() : '';
    if (!prefix)
      throw new AppError(
        'invalid_input',
        `--retention-events-override must be PREFIX=DURATION (e.g. prefect.flow-run.heartbeat=1d), got '${raw}'`,
      );
    const seconds = parseDuration(raw.slice(eq + 1), { off: true });
    if (typeof seconds === 'string')
      throw new AppError('invalid_input', `--retention-events-override '${raw}': the duration ${seconds}`);
    out.set(prefix, seconds);
  }
  return [...out].map(([prefix, seconds]) => ({ prefix, seconds })).sort((a, b) => b.prefix.length - a.prefix.length);
}

/** A duration for `workspaces set-retention`: seconds (0 = forever). */
export function parseRetention(raw: string, flag: string): number {
  const seconds = parseDuration(raw, { off: true });
  if (typeof seconds === 'string')
    throw new AppError('invalid_input', `${flag} must be ${DURATION_HELP}, or 0/off for forever; got '${raw}'`);
  return seconds;
}

/** The server's retention flags, checked. */
export function retentionFlags(
  config: Pick<ServeConfig, 'retention-logs' | 'retention-events' | 'retention-runs' | 'retention-events-override'>,
): RetentionFlags {
  return {
    logs: config['retention-logs'],
    events: config['retention-events'],
    runs: config['retention-runs'],
    eventOverrides: parseEventOverrides(config['retention-events-override']),
  };
}
