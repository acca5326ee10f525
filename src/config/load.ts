/** Parses flags and `SIGHTLINE_*` environment variables against an option schema, once. */
import { AppError } from '../domain/errors.ts';
import { parseDuration } from './duration.ts';
import type { OptionSpec } from './schema.ts';

export function envName(flag: string): string {
  return `SIGHTLINE_${flag.toUpperCase().replaceAll('-', '_')}`;
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

function convert(name: string, spec: OptionSpec, raw: string, source: string): unknown {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${source} must be an integer, got '${raw}'`);
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        throw new ConfigError(`${source} must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}, got ${n}`);
      return n;
    }
    case 'duration': {
      const n = parseDuration(raw, { off: spec.off });
      if (typeof n === 'string') throw new ConfigError(`${source} ${n}, got '${raw}'`);
      if (
        (spec.min !== undefined && n < spec.min && !(n === 0 && spec.off)) ||
        (spec.max !== undefined && n > spec.max)
      )
        throw new ConfigError(`${source} must be between ${spec.min ?? 0} and ${spec.max ?? '∞'} seconds, got ${n}`);
      return n;
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new ConfigError(`${source} must be true or false, got '${raw}'`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      if (spec.choices && !spec.choices.includes(raw))
        throw new ConfigError(`${source} must be one of ${spec.choices.join(', ')}, got '${raw}' (option ${name})`);
      return raw;
  }
}

export interface Parsed<T> {
  options: T;
  positionals: string[];
}

/** What a command takes besides its options, for its help and for checking its arguments. */
export interface CommandShape {
  /** Its positional arguments by name (`FLOW_RUN_ID`); given, exactly these many are accepted. */
  args?: readonly string[];
  /** One or two sentences on what it does. */
  about?: string;
}

/** The `env` of a command whose options are flags only (`SIGHTLINE_*` configure the server). */
export const FLAGS_ONLY: Record<string, string | undefined> = Object.freeze({});

/** `--help` or `-h` was given: the caller prints the command's help (`cli/help.ts`) and exits 0. */
export class HelpRequested extends Error {
  readonly specs: Record<string, OptionSpec>;
  readonly shape: CommandShape;
  readonly readsEnv: boolean;

  constructor(specs: Record<string, OptionSpec>, shape: CommandShape, readsEnv: boolean) {
    super('help requested');
    this.specs = specs;
    this.shape = shape;
    this.readsEnv = readsEnv;
  }
}

/**
 * `--name value`, `--name=value`; booleans take no value (`--no-name` sets false); `-x` is the
 * option whose spec has `short: 'x'`. Unknown flags are errors, and so are arguments beyond
 * `shape.args` when it is given. `--help`/`-h` anywhere before `--` throws `HelpRequested`,
 * whatever else is wrong. Lists accept repetition and commas.
 */
export function loadOptions<T>(
  specs: Record<string, OptionSpec>,
  argv: string[],
  env: Record<string, string | undefined>,
  shape: CommandShape = {},
): Parsed<T> {
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h'))
    throw new HelpRequested(specs, shape, env !== FLAGS_ONLY);
  const fromFlags: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (/^-[^-]/.test(arg)) {
      const long = Object.keys(specs).find((k) => specs[k].short === arg.slice(1));
      if (!long) throw new ConfigError(`unknown option ${arg}`);
      arg = `--${long}`;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let spec = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.type === 'bool' && value === undefined) {
      fromFlags[name.slice(3)] = false;
      continue;
    }
    if (!spec) throw new ConfigError(`unknown option --${name}`);
    if (spec.type === 'bool') {
      fromFlags[name] = value === undefined ? true : convert(name, spec, value, `--${name}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`--${name} needs a value`);
      value = argv[++i];
    }
    const v = convert(name, spec, value, `--${name}`);
    fromFlags[name] = spec.type === 'list' ? [...((fromFlags[name] as string[]) ?? []), ...(v as string[])] : v;
    spec = specs[name];
  }
  if (shape.args) {
    if (positionals.length > shape.args.length)
      throw new ConfigError(`unexpected argument '${positionals[shape.args.length]}'`);
    if (positionals.length < shape.args.length) throw new ConfigError(`missing ${shape.args[positionals.length]}`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (name in fromFlags) {
      out[name] = fromFlags[name];
      continue;
    }
    const e = env[envName(name)];
    if (e !== undefined && e !== '') {
      out[name] = convert(name, spec, e, envName(name));
      continue;
    }
    const d = spec.default;
    out[name] = typeof d === 'function' ? (d as (o: Record<string, unknown>) => unknown)(out) : d;
  }
  return { options: Object.freeze(out) as T, positionals };
}
