/**
 * A command's `--help`, written from its option specs (the config schema): each option's flag,
 * value, meaning, environment variable (for commands that read them) and default. New commands
 * get it by parsing their options with `loadOptions`.
 */
import { envName, type HelpRequested, loadOptions } from '../config/load.ts';
import type { OptionSpec } from '../config/schema.ts';

function placeholder(spec: OptionSpec): string {
  if (spec.type === 'bool') return '';
  if (spec.choices) return ` ${spec.choices.join('|')}`;
  return { int: ' N', duration: ' DURATION', list: ' VALUE', string: ' VALUE' }[spec.type];
}

function shown(value: unknown): string | undefined {
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

export function commandHelp(command: string, { specs, shape, readsEnv }: HelpRequested): string {
  const defaults = loadOptions<Record<string, unknown>>(specs, [], {}).options;
  const args = shape.args?.length ? ` ${shape.args.join(' ')}` : '';
  const lines = [`usage: sightline ${command}${args} [options]`, ''];
  if (shape.about) lines.push(shape.about, '');
  lines.push('options:');
  const flags = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    return `${short}--${name}${placeholder(spec)}`;
  });
  const width = Math.min(32, Math.max(...flags.map((f) => f.length)) + 2);
  Object.entries(specs).forEach(([name, spec], i) => {
    const flag = flags[i];
    lines.push(`  ${flag.length > width - 2 ? `${flag}\n  ${' '.repeat(width)}` : flag.padEnd(width)}${spec.help}`);
    const notes = [
      readsEnv ? `env ${envName(name)}` : undefined,
      shown(defaults[name]) === undefined ? undefined : `default ${shown(defaults[name])}`,
    ].filter(Boolean);
    if (notes.length) lines.push(`  ${' '.repeat(width)}(${notes.join('; ')})`);
  });
  lines.push(`  ${'-h, --help'.padEnd(width)}Show this help.`);
  return `${lines.join('\n')}\n`;
}
