/**
 * `bench/RESULTS.md`: one block per workload and engine, each fenced by HTML comments so that a
 * run replaces only the blocks it measured (`--only`, a PostgreSQL run) and keeps everything else
 * — other workloads' blocks and hand-written notes — as it was.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface RunMeta {
  command: string;
  date: string;
  node: string;
  machine: string;
  engine: string;
  /** The commit measured (`+dirty` when the work tree had changes). */
  commit: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  load: string;
}

export interface Section {
  /** Stable key, e.g. `logs-ingest@sqlite`. */
  key: string;
  title: string;
  /** Markdown body (without the title). */
  body: string;
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/RESULTS.md'],
      { encoding: 'utf8' },
    ).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown commit';
  }
}

export function runMeta(command: string, engine: string): RunMeta {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return {
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    machine: `${model}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`,
    engine,
    commit: gitCommit(),
    load: os.loadavg()[0].toFixed(2),
  };
}

const HEADER = `# Sightline benchmark results

Written by \`npm run bench\` (see \`bench/README.md\`). Each block below is replaced when its
workload runs again; text outside the blocks is kept.
`;

const begin = (key: string) => `<!-- bench:begin ${key} -->`;
const end = (key: string) => `<!-- bench:end ${key} -->`;

export function renderSection(s: Section, meta: RunMeta): string {
  return [
    begin(s.key),
    `## ${s.title}`,
    '',
    `_\`${meta.command}\` · ${meta.date} · commit ${meta.commit} · Node ${meta.node} · ${meta.machine} · load average ${meta.load} at start · ${meta.engine}_`,
    '',
    s.body.trimEnd(),
    end(s.key),
  ].join('\n');
}

/** Replaces (or appends) the given sections in `path`, keeping everything else. */
export function writeSections(path: string, sections: Section[], meta: RunMeta): void {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  for (const s of sections) {
    const block = renderSection(s, meta);
    const a = text.indexOf(begin(s.key));
    const b = text.indexOf(end(s.key));
    if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + end(s.key).length);
    else text = `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
}

/** A Markdown table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
