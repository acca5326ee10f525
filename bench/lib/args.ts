/** Command line of `npm run bench`. */

export interface BenchArgs {
  /** The 10M-log run (also the default size of every dataset-driven workload). */
  full: boolean;
  /** Database URL for the servers; unset = a throwaway SQLite database in a temp directory. */
  db?: string;
  /** Workload names to run (empty = all). */
  only: string[];
  /** Logs in the shared log dataset. */
  logs: number;
  /** Events in the shared event dataset. */
  events: number;
  /** Where the report goes. */
  out: string;
  /** Write V8 CPU profiles of every server process into this directory (kept after the run). */
  cpuProf?: string;
  /** Run the soak instead of the workloads, for this many seconds. */
  soak?: number;
  /** Run only the web UI benchmark (Chromium). */
  ui: boolean;
  /** Serve with `--auth`; HTTP clients send a write key made with `sightline keys create`. */
  auth: boolean;
  /** Extra `serve` flags for every server (e.g. rate limits). */
  serveArgs: string[];
  /** Command line as typed, recorded in the report. */
  command: string;
}

export const USAGE = `usage: npm run bench -- [options]

  --full            10M logs instead of 1M (slow; run rarely)
  --logs N          size of the log dataset (overrides --full); 1k, 200k, 1m suffixes allowed
  --events N        size of the event dataset (default 1M, 10M with --full)
  --db URL          database for the servers (default: a temporary SQLite database)
  --only NAME       run only this workload (repeatable, or comma-separated)
  --out PATH        report file (default bench/RESULTS.md)
  --cpu-prof DIR    write V8 CPU profiles of the server processes into DIR
  --soak DURATION   only the soak (mixed load, live and non-reading subscribers) for DURATION
                    (90s, 10m, 1h); writes a CSV next to the report and prints PASS or FAIL
  --auth            serve with --auth; HTTP clients send a write key made with 'sightline keys
                    create' (websocket workloads do not send one yet)
  --serve-arg FLAG  an extra flag for every server (repeatable; --serve-arg=--rate-limit-items=1e9
                    style, flag and value joined by '=')
  --ui              only the web UI benchmark (Debian's Chromium): scrolling a 1M-line run's logs,
                    jumps, the runs page among 100k runs
  --retention       only the retention benchmark (same as --only retention): 30 days of --logs
                    logs and as many events, 20 days swept away while ingesting
  --migrate         only the migration benchmark: 'sightline migrate' of --logs logs and a fifth
                    as many events from SQLite into its own throwaway PostgreSQL cluster
  --list            list the workloads and exit
`;

export function parseCount(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw.trim());
  if (!m) throw new Error(`not a count: '${raw}'`);
  const mult = m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6;
  const n = Math.round(Number(m[1]) * mult);
  if (n < 1) throw new Error(`count must be positive: '${raw}'`);
  return n;
}

/** `90s`, `10m`, `1h` (or plain seconds) → seconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+)([smh]?)$/.exec(raw.trim());
  if (!m || Number(m[1]) < 1) throw new Error(`not a duration: '${raw}' (e.g. 90s, 10m, 1h)`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

export function parseArgs(argv: string[]): BenchArgs | 'help' | 'list' {
  const a: BenchArgs = {
    full: false,
    only: [],
    logs: 0,
    events: 0,
    out: 'bench/RESULTS.md',
    command: '',
    auth: false,
    serveArgs: [],
    ui: false,
  };
  let logs: number | undefined;
  let events: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--help':
      case '-h':
        return 'help';
      case '--list':
        return 'list';
      case '--full':
        a.full = true;
        break;
      case '--logs':
        logs = parseCount(value());
        break;
      case '--events':
        events = parseCount(value());
        break;
      case '--db':
        a.db = value();
        break;
      case '--only':
        a.only.push(
          ...value()
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
        break;
      case '--out':
        a.out = value();
        break;
      case '--cpu-prof':
        a.cpuProf = value();
        break;
      case '--soak':
        a.soak = parseDuration(value());
        break;
      case '--auth':
        a.auth = true;
        break;
      case '--ui':
        a.ui = true;
        break;
      case '--retention':
        a.only.push('retention');
        break;
      case '--migrate':
        a.only.push('migrate');
        break;
      case '--serve-arg':
        a.serveArgs.push(
          ...value()
            .split(/=(.*)/s, 2)
            .filter((p) => p !== ''),
        );
        break;
      default:
        throw new Error(`unknown option '${arg}'`);
    }
  }
  a.logs = logs ?? (a.full ? 10_000_000 : 1_000_000);
  a.events = events ?? (a.full ? 10_000_000 : 1_000_000);
  a.command = ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ');
  return a;
}
