/**
 * The curated agent tools and the `investigate-failed-run` prompt on the MCP server. Each tool
 * calls its route (`/api/v1/agent/<tool>`) on the Sightline the server serves — in-process, or
 * the one `sightline mcp --api` names — as the caller, with `--mcp-max-chars` as the answer's
 * budget. A refused call is an `isError` result `{"error": {code, message, hint}}` an agent can
 * act on; only a prompt's unknown run is a JSON-RPC invalid-params error, as prompts have no
 * error result.
 */
import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { AGENT_TOOLS } from '../domain/agent/tools.ts';
import { AppError } from '../domain/errors.ts';
import { callContext } from './call-context.ts';
import { readAll, type Target } from './consumers.ts';

type Obj = Record<string, unknown>;
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

const TENANCY: Obj = {
  account_id: { type: 'string', description: 'Account id (default: the configured or the key’s first one).' },
  workspace_id: { type: 'string', description: 'Workspace id (default: the configured or the key’s first one).' },
};

/** Validation happens in the route: the tool's answer then names a bad argument with its bounds. */
function passThrough(input: Obj, output: Obj): StandardSchemaWithJSON<Obj, Obj> {
  return {
    '~standard': {
      version: 1,
      vendor: 'sightline',
      validate: (v: unknown) => ({ value: (v ?? {}) as Obj }),
      jsonSchema: { input: () => input, output: () => output },
    },
  } as StandardSchemaWithJSON<Obj, Obj>;
}

interface Answer {
  status: number;
  body: Obj;
}

async function call(target: Target, name: string, args: Obj, extra: Obj, signal?: AbortSignal): Promise<Answer> {
  const { account_id, workspace_id, ...rest } = args;
  const d = account_id || workspace_id ? { account_id, workspace_id } : await target.defaults();
  const root = d.account_id && d.workspace_id ? `/api/accounts/${d.account_id}/workspaces/${d.workspace_id}` : '/api';
  const res = await target.send(
    {
      method: 'POST',
      path: `${root}/v1/agent/${name}`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ ...rest, ...extra }),
    },
    signal,
  );
  const text = (await readAll(res.body, MAX_ANSWER_BYTES)).toString('utf8');
  let body: Obj;
  try {
    body = JSON.parse(text) as Obj;
  } catch {
    body = { code: 'bad_gateway', message: `${target.label} answered HTTP ${res.status} without JSON` };
  }
  return { status: res.status, body };
}

const HINTS: Record<string, string> = {
  invalid_input: "check the argument against the tool's inputSchema (types and bounds)",
  unauthorized: 'the MCP client needs an API key with the read scope',
  forbidden: 'the key does not reach this workspace; leave account_id and workspace_id out to use its own',
  rate_limited: 'wait a few seconds and call again',
};

/** `{error: {code, message, hint}}` from a route's `{code, message, …}` body. */
function errorResult(a: Answer) {
  const { code = 'error', message = `HTTP ${a.status}`, issues, hint, ...more } = a.body as Obj & { issues?: Obj[] };
  const first = issues?.[0] as { loc?: unknown[]; msg?: string } | undefined;
  const detail =
    code === 'invalid_input' && first
      ? `${(first.loc ?? []).filter((p) => p !== 'body').join('.')}: ${first.msg}`
      : String(message);
  const error = { code, message: detail, hint: (hint as string) ?? HINTS[String(code)] ?? null, ...more };
  return {
    content: [{ type: 'text' as const, text: JSON.stringify({ error }) }],
    structuredContent: { error },
    isError: true,
  };
}

export function registerAgentTools(server: McpServer, target: Target, maxChars: number): void {
  for (const tool of AGENT_TOOLS) {
    const input = tool.input.json() as { properties: Obj };
    const inputSchema = { ...input, properties: { ...input.properties, ...TENANCY } };
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: passThrough(inputSchema, tool.output),
        outputSchema: passThrough(tool.output, tool.output),
        annotations: { title: tool.title, readOnlyHint: true, openWorldHint: false, idempotentHint: true },
      },
      (async (args: Obj, ctx: unknown) => {
        const { signal } = callContext(ctx);
        const a = await call(target, tool.name, args, { max_chars: maxChars }, signal).catch((err) => {
          if (err instanceof AppError) return { status: 502, body: { code: err.code, message: err.message } };
          throw err;
        });
        if (a.status >= 400) return errorResult(a);
        return { content: [{ type: 'text' as const, text: JSON.stringify(a.body) }], structuredContent: a.body };
      }) as never,
    );
  }
  const promptArgs = {
    type: 'object',
    properties: {
      flow_run_id: { type: 'string', description: 'The failed run (a UUID or a unique 8+ hex-digit prefix).' },
      flow_name: { type: 'string', description: 'Without a run: investigate the latest failed run of this flow.' },
    },
  };
  server.registerPrompt(
    'investigate-failed-run',
    {
      title: 'Investigate a failed run',
      description:
        'The walk from "a run failed" to its cause with the agent tools, and the shape of the answer (cause, evidence, first failing task, new or recurring, suggested fix).',
      argsSchema: passThrough(promptArgs, promptArgs),
    },
    (async (args: Obj) => {
      const a = await call(target, 'prompts/investigate-failed-run', args ?? {}, {});
      if (a.status >= 400) {
        const code =
          a.status === 422 || a.status === 404 ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError;
        throw new ProtocolError(code, String(a.body.message ?? `HTTP ${a.status}`));
      }
      return {
        description: String(a.body.description),
        messages: [{ role: 'user' as const, content: { type: 'text' as const, text: String(a.body.text) } }],
      };
    }) as never,
  );
}
