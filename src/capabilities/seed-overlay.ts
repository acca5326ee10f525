/**
 * Corrections of the shipped capability files' MCP tools, applied by the loader so the files stay
 * byte-identical to the seeds: hints that say what a tool does (POST filters and counts only
 * read; creating an event or log whose id is stored already changes nothing), titles, and
 * descriptions for the parameters the seeds leave undescribed or describe wrongly.
 */
import type { McpToolDef, ToolHints } from './model.ts';

const READS: ToolHints = { readOnly: true, destructive: false, idempotent: true };
/** Creating is idempotent: a re-sent event or log id is stored once. */
const CREATES: ToolHints = { readOnly: false, destructive: false, idempotent: true };

const HINTS: Record<string, ToolHints> = {
  'read-logs': READS,
  'read-account-events': READS,
  'read-workspace-events': READS,
  'count-account-events': READS,
  'count-workspace-events': READS,
  'create-logs': CREATES,
  'create-account-events': CREATES,
  'create-account-events-2': CREATES,
  'create-workspace-events': CREATES,
};

/** Parameter descriptions, by name (the seeds' own text where it is missing or wrong). */
const PARAMS: Record<string, string> = {
  limit: 'Most items to return.',
  countable: 'What to count by: day, time, event, resource, workspace or actor.',
  'page-token': 'The value after "page-token=" in the next_page URL of the previous answer.',
  flow_run_id: 'The flow run id (UUID).',
  id: 'The flow run id (UUID).',
  offset: 'Items to skip from the start.',
  order: 'ASC or DESC (by occurred time).',
  with_task_runs: "Include the events of the run's task runs (default true).",
  'if-none-match': 'The ETag of a previous answer: "not modified" when nothing changed since.',
  level_ge: 'Only logs at this level or above (10 debug, 20 info, 30 warning, 40 error, 50 critical).',
  level_le: 'Only logs at this level or below.',
  sort: 'TIMESTAMP_ASC (default) or TIMESTAMP_DESC.',
  'x-prefect-api-version': 'Prefect API version the client speaks; leave it out.',
};
const WRONG = /PREFECT_ORION_API_/;

/** Applies the overlay to one shipped tool (in place). */
export function correctSeedTool(tool: McpToolDef): void {
  const hints = HINTS[tool.name];
  if (hints) tool.hints = { ...tool.hints, ...hints };
  // The seed's description is a title ("Read Logs"); the operation's notes say what it does.
  tool.label ??= tool.description.replace(/\.$/, '');
  for (const p of tool.call.params) {
    // Asking for spans by id without ids answers nothing: the argument is what the tool is for.
    if (tool.name === 'read-spans-ids' && p.name === 'ids') p.required = true;
    const described = p.description ?? (p.schema.description as string | undefined);
    if (PARAMS[p.name] && (!described || WRONG.test(described))) p.description = PARAMS[p.name];
  }
}
