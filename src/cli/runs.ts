/**
 * `sightline runs`: list recent flow runs, newest first.
 *
 *   sightline runs [--flow NAME] [--state S] [--since T] [--limit N] [--json] [--api URL]
 *
 * `--state` takes a state type (`failed`, `RUNNING`) or a state name (`AwaitingRetry`);
 * `--since` an ISO time or a duration back from now (`30s`, `15m`, `2h`, `7d`, `1w`).
 */
import { FLAGS_ONLY, loadOptions } from '../config/load.ts';
import type { OptionSpec, OptionsOf } from '../config/schema.ts';
import { STATE_TYPES } from '../domain/runs/states.ts';
import { API_KEY_OPTION, apiOption, parseSince, resolveApiKey, resolveApiUrl } from './api-client.ts';
import { formatDuration, type Json, paintState, RunApi } from './run-client.ts';
import { useColour } from './style.ts';

export const runsOptions = {
  api: apiOption,
  'api-key': API_KEY_OPTION,
  flow: { type: 'list', help: 'Only runs of the flow with this name (repeatable).', default: [] },
  state: { type: 'list', help: 'Only runs in this state type or state name (repeatable).', default: [] },
  since: {
    type: 'string',
    help: 'Only runs expected to start since this time: an ISO-8601 time, or a duration back from now (90s, 15m, 2h, 7d).',
  },
  limit: { type: 'int', help: 'How many runs to list.', default: 50, min: 1, max: 10_000 },
  json: { type: 'bool', help: 'Print each flow run as one JSON line.', default: false },
} as const satisfies Record<string, OptionSpec>;

type RunsConfig = OptionsOf<typeof runsOptions>;

/** The `POST /flow_runs/filter` body for the options. */
export function runsFilter(o: Pick<RunsConfig, 'flow' | 'state' | 'since'>): Record<string, unknown> {
  const body: Record<string, unknown> = { sort: 'EXPECTED_START_TIME_DESC' };
  const fr: Record<string, unknown> = {};
  if (o.state.length) {
    const types = new Set<string>(STATE_TYPES);
    const asType = o.state.map((s) => s.toUpperCase()).filter((s) => types.has(s));
    const names = o.state.filter((s) => !types.has(s.toUpperCase()));
    const state: Record<string, unknown> = { operator: 'or_' };
    if (asType.length) state.type = { any_: asType };
    if (names.length) state.name = { any_: names };
    fr.state = state;
  }
  if (o.since) fr.expected_start_time = { after_: parseSince(o.since) };
  if (Object.keys(fr).length) body.flow_runs = fr;
  if (o.flow.length) body.flows = { name: { any_: o.flow } };
  return body;
}

export async function runs(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o } = loadOptions<RunsConfig>(runsOptions, argv, FLAGS_ONLY, {
    args: [],
    about: 'Lists flow runs, most recently expected to start first.',
  });
  const api = new RunApi(resolveApiUrl(o.api, env), resolveApiKey(o['api-key'], env));
  const rows: Json[] = await api.all('/flow_runs/filter', runsFilter(o), o.limit);
  if (!rows.length) {
    const searched = [
      o.flow.length ? ` of flow ${o.flow.join(' or ')}` : '',
      o.state.length ? ` in state ${o.state.join(' or ')}` : '',
      o.since ? ` expected to start since ${parseSince(o.since)}` : '',
    ].join('');
    process.stderr.write(`no flow runs${searched} at ${api.base}\n`);
    return;
  }
  if (o.json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const flowIds = [...new Set(rows.map((r) => r.flow_id))];
  const flows: Json[] = flowIds.length
    ? await api.all('/flows/filter', { flows: { id: { any_: flowIds } } }, flowIds.length)
    : [];
  const flowName = new Map(flows.map((f) => [f.id, f.name]));
  const color = useColour(process.stdout, env);
  const table = rows.map((r) => ({
    id: r.id as string,
    flow: (flowName.get(r.flow_id) as string) ?? r.flow_id,
    name: r.name as string,
    state: (r.state_name ?? '-') as string,
    type: r.state_type as string | null,
    start: ((r.start_time ?? r.expected_start_time ?? '-') as string).replace(/\.\d+Z$/, 'Z'),
    duration: formatDuration(r.estimated_run_time),
    tags: (r.tags as string[]).join(','),
  }));
  const w = (k: 'flow' | 'name' | 'state' | 'start' | 'duration') =>
    Math.max(k.length, ...table.map((t) => t[k].length));
  const widths = { flow: w('flow'), name: w('name'), state: w('state'), start: w('start'), duration: w('duration') };
  const line = (t: (typeof table)[number] | null) => {
    const cells = t
      ? [
          t.id,
          t.flow.padEnd(widths.flow),
          t.name.padEnd(widths.name),
          paintState(t.state, t.type, color) + ' '.repeat(widths.state - t.state.length),
          t.start.padEnd(widths.start),
          t.duration.padStart(widths.duration),
          t.tags,
        ]
      : [
          'ID'.padEnd(36),
          'FLOW'.padEnd(widths.flow),
          'RUN'.padEnd(widths.name),
          'STATE'.padEnd(widths.state),
          'START'.padEnd(widths.start),
          'DURATION'.padStart(widths.duration),
          'TAGS',
        ];
    return `${cells.join('  ').trimEnd()}\n`;
  };
  process.stdout.write(line(null));
  for (const t of table) process.stdout.write(line(t));
}
