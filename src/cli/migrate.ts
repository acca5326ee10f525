/**
 * `sightline migrate --from sqlite:<path-or-data-dir> --to postgres://…`: copies a store into an
 * empty one of another engine (ADR 45) with progress on stderr, continues a copy that was stopped,
 * and verifies counts and checksums of every kind at the end (exit 1 when they differ).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadOptions } from '../config/load.ts';
import type { OptionSpec } from '../config/schema.ts';
import type { CopyProgress, MigrateReport } from '../ops/migrate/copy.ts';

const migrateOptions = {
  from: {
    type: 'string',
    help: 'The store to copy: sqlite:<file> or sqlite:<data dir> (its servers stopped).',
  },
  to: { type: 'string', help: 'The empty store to copy into: postgres://… (or sqlite:<file>).' },
  batch: { type: 'int', help: 'Records per transaction.', default: 5000, min: 1, max: 50_000 },
} as const satisfies Record<string, OptionSpec>;

/** `sqlite:<dir>` means the data directory's database, as `--data-dir` does. */
function storeUrl(url: string): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  try {
    if (statSync(path).isDirectory()) return `sqlite:${join(path, 'sightline.db')}`;
  } catch {
    // Not there (yet): opening it says so.
  }
  return url;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One line a second at most: what is copied, the rate of this run and the time left at that rate. */
function progressLine(): (p: CopyProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    const rate = p.copied / Math.max(p.ms / 1000, 0.001);
    const eta = rate > 0 ? clock((p.total - p.done) / rate) : '?';
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
    process.stderr.write(
      `migrate: ${p.kind}: ${int(p.done)}/${int(p.total)} records (${pct} %), ${int(rate)} items/s, ETA ${eta}\n`,
    );
  };
}

function print(r: MigrateReport): void {
  const lines = r.checks.map(
    (c) =>
      `  ${c.kind.padEnd(24)} ${int(c.source.count).padStart(12)} ${int(c.target.count).padStart(12)}  ${c.source.checksum}  ${c.target.checksum}  ${c.ok ? 'ok' : 'DIFFERENT'}`,
  );
  process.stdout.write(
    `${r.resumed ? 'continued' : 'copied'} ${int(r.copied)} records in ${(r.copyMs / 1000).toFixed(1)} s, checked in ${(r.verifyMs / 1000).toFixed(1)} s (source id ${r.sourceId})\n` +
      `  ${'kind'.padEnd(24)} ${'source'.padStart(12)} ${'target'.padStart(12)}  checksums\n${lines.join('\n')}\n`,
  );
}

export async function migrate(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o } = loadOptions<{ from?: string; to?: string; batch: number }>(migrateOptions, argv, env);
  if (!o.from || !o.to) throw new ConfigError('sightline migrate needs --from sqlite:<path> and --to postgres://…');
  const { migrateStore } = await import('../main.ts');
  const report = await migrateStore(storeUrl(o.from), storeUrl(o.to), { batch: o.batch, onProgress: progressLine() });
  print(report);
  if (!report.ok) {
    process.stderr.write(
      'sightline: the copy differs from the source (see the kinds marked DIFFERENT); run migrate again to continue it\n',
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write('verified: every kind has the same count and checksum on both sides\n');
}
