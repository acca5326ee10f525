/**
 * The `duration` option type: `90s`, `15m`, `36h`, `30d`, or a bare number of seconds (what the
 * second-valued settings always accepted). `0` or `off` means "none" where the setting allows it.
 * Values are whole seconds.
 */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

export const DURATION_HELP = 'a duration: 90s, 15m, 36h or 30d (a bare number is seconds)';

/** Seconds, or an error sentence naming what is wrong. */
export function parseDuration(raw: string, opts: { off?: boolean } = {}): number | string {
  const v = raw.trim().toLowerCase();
  if (v === 'off') return opts.off ? 0 : 'cannot be off';
  const m = /^(\d{1,9})([smhd]?)$/.exec(v);
  if (!m) return `must be ${DURATION_HELP}`;
  const seconds = Number(m[1]) * UNIT_SECONDS[(m[2] || 's') as keyof typeof UNIT_SECONDS];
  if (seconds === 0 && !opts.off) return 'must be more than 0';
  return seconds;
}
