/**
 * `npm run bench`: starts Sightline servers as child processes on throwaway databases, drives
 * them over loopback HTTP, and writes one section per workload into `bench/RESULTS.md`.
 * Never part of `npm test` or CI. Cleans up its servers and temp directories on every exit.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs, USAGE } from './lib/args.ts';
import { BenchContext, log } from './lib/context.ts';
import { runMeta, writeSections } from './lib/results.ts';
import { onRequest, webUi, workloads } from './workloads/index.ts';
import { soak } from './workloads/soak.ts';

/** The whole run is bounded: past this the run stops (and cleans up) whatever it is doing. */
const RUN_LIMIT_MS = { default: 45 * 60_000, full: 3 * 3600_000 };

function humanCount(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed === 'list') {
    for (const w of workloads) process.stdout.write(`${w.name}\t${w.title}\n`);
    return 0;
  }
  const args = parsed;
  const unknown = args.only.filter((n) => !workloads.some((w) => w.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown workload(s) ${unknown.join(', ')}; --list shows them\n`);
    return 2;
  }
  // The soak runs alone (and never by default): it takes as long as it is told to.
  // The web UI (Chromium) and retention (long) benchmarks run only when asked for, never by default.
  const selected = args.soak
    ? [soak]
    : args.ui
      ? [webUi]
      : workloads.filter((w) => (args.only.length === 0 && !onRequest.includes(w)) || args.only.includes(w.name));
  const ctx = new BenchContext(args);
  const meta = runMeta(args.command, `${ctx.engine}${args.db ? '' : ' (temporary database)'}`);
  const out = resolve(args.out);
  const limit = args.soak
    ? args.soak * 1000 + RUN_LIMIT_MS.default
    : args.full || args.logs > 2_000_000
      ? RUN_LIMIT_MS.full
      : RUN_LIMIT_MS.default;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: run exceeded ${limit / 60_000} minutes; stopping\n`);
    process.exit(3);
  }, limit);
  watchdog.unref();

  const started = performance.now();
  try {
    for (const w of selected) {
      const load = loadavg()[0];
      log(`== ${w.name}: ${w.title} (load average ${load.toFixed(2)})`);
      if (load > 1.5) log('   the machine is busy with other work: figures will be low and noisy');
      const body = await w.run(ctx);
      // One block per workload, engine and dataset size: the 1M and 10M runs sit side by side.
      const size = w.size?.(args) ?? { n: args.logs, noun: 'logs' };
      const scale = humanCount(size.n);
      writeSections(
        out,
        [{ key: `${w.name}@${ctx.engine}/${scale}`, title: `${w.title} — ${ctx.engine}, ${scale} ${size.noun}`, body }],
        { ...meta, load: load.toFixed(2) },
      );
      log(`   wrote ${w.name} to ${args.out}`);
    }
  } finally {
    await ctx.close();
    clearTimeout(watchdog);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
