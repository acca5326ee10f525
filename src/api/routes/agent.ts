/**
 * The agent tools as routes (`/api/v1/agent/<tool>`, and under a workspace's Cloud path): the MCP
 * server's curated tools call these, in-process or on a remote Sightline, so each caller's key,
 * scope and workspace apply as to every other read. Errors are `{code, message, hint}` bodies.
 */
import { AGENT_TOOLS, type AgentTool } from '../../domain/agent/tools.ts';
import { int, object, optional, schema, str } from '../../lib/schema.ts';
import { compareFlowRuns } from '../../ops/agent/compare-flow-runs.ts';
import { diagnoseFlowRun } from '../../ops/agent/diagnose-flow-run.ts';
import { findFlowRuns } from '../../ops/agent/find-flow-runs.ts';
import { investigatePrompt } from '../../ops/agent/investigate-prompt.ts';
import { searchLogs } from '../../ops/agent/search-logs.ts';
import { tailLogs } from '../../ops/agent/tail-logs.ts';
import { traceTree } from '../../ops/agent/trace-tree.ts';
import type { OpContext } from '../../ops/context.ts';
import { type RouteDef, route } from '../router.ts';

const TAG = 'Agent tools (/api/v1/agent)';

/** The smallest answer budget, as `--mcp-max-chars` allows: an item (messages stop at 2,000) fits. */
const MAX_CHARS_MIN = 5000;

type Run = (ctx: OpContext, input: any, maxChars?: number) => Promise<Record<string, unknown>>;

const RUNS: Record<string, Run> = {
  'find-flow-runs': findFlowRuns,
  'diagnose-flow-run': diagnoseFlowRun,
  'search-logs': searchLogs,
  'tail-logs': tailLogs,
  'compare-flow-runs': compareFlowRuns,
  'get-trace-tree': traceTree,
};

function toolRoute(tool: AgentTool): RouteDef {
  const body = object({
    ...tool.input.fields,
    max_chars: optional(
      int({ min: MAX_CHARS_MIN, max: 10_000_000 }).describe(
        'Cut the answer to this many characters of JSON (the MCP server sends --mcp-max-chars).',
      ),
    ),
  });
  return route({
    method: 'POST',
    path: `/v1/agent/${tool.name}`,
    tag: TAG,
    scope: 'read',
    summary: `${tool.title}: ${tool.description}`,
    body,
    bodyOptional: true,
    // The tool's output schema (also its MCP `outputSchema`), for documentation: never parsed.
    response: schema(
      (v) => v,
      () => tool.output,
    ),
    errors: [409],
    handler: (ctx, { body: { max_chars, ...input } }) => RUNS[tool.name](ctx, input, max_chars),
  });
}

export const agentRoutes: RouteDef[] = [
  ...AGENT_TOOLS.map(toolRoute),
  route({
    method: 'POST',
    path: '/v1/agent/prompts/investigate-failed-run',
    tag: TAG,
    scope: 'read',
    summary: 'The investigate-failed-run prompt: {description, text}; an unknown flow_run_id is invalid_parameter.',
    body: object({
      flow_run_id: optional(str({ min: 1, max: 64 })),
      flow_name: optional(str({ min: 1, max: 200 })),
    }),
    bodyOptional: true,
    response: object({ description: str(), text: str() }),
    handler: (ctx, { body }) => investigatePrompt(ctx, body),
  }),
];
