/**
 * The capability engine: binds every loaded capability to where its consumed API lives (the
 * local native API in-process, `--upstream`, or the file's own `baseUri`) and groups the exposed
 * REST resources and MCP tools by listener port. Capabilities that declare the same port share
 * one listener; `--rest-port` / `--mcp-port` put all of them on one.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { type Defaults, httpTarget, nativeTarget, parseUpstream, type Target } from './consumers.ts';
import type { Binding } from './invoke.ts';
import type { ToolEntry } from './mcp-adapter.ts';
import type { CapabilitySet, ConsumedApi } from './model.ts';
import type { RestEntry } from './rest-adapter.ts';

export interface EngineOptions {
  set: CapabilitySet;
  /** The local native API, for capabilities whose baseUri is empty (unless `upstream` is set). */
  native?: { app: FastifyInstance; defaults: Defaults; perCaller?: boolean };
  /** A remote Cloud-shaped API for capabilities whose baseUri is empty. */
  upstream?: string;
  upstreamKey?: string;
  timeoutMs?: number;
  /** `upstream` is a Sightline (`sightline mcp --api`): the agent tools can call it. */
  upstreamIsSightline?: boolean;
}

export interface BoundCapabilities {
  /** REST entries by declared port. */
  rest: Map<number, RestEntry[]>;
  /** MCP tools by declared port (`stdio` adapters under -1). */
  tools: Map<number, ToolEntry[]>;
  /** All MCP tools, whatever their transport (what `sightline mcp --stdio` serves). */
  allTools: ToolEntry[];
  instructions: string;
  /** Where the agent tools' routes are: the local API, or a remote Sightline (never another upstream). */
  agentTarget?: Target;
  /** One line per consumed API: where it goes and whether a credential is sent (never the value). */
  summary: string[];
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function bindCapabilities(opts: EngineOptions): BoundCapabilities {
  const configured = configuredTarget(opts);
  const remotes = new Map<string, Target>();
  const bindings = new Map<ConsumedApi, Binding>();
  const summary: string[] = [];
  for (const cap of opts.set.capabilities)
    for (const api of cap.consumes) {
      let target: Target;
      if (api.baseUri === '') target = configured();
      else {
        target = remotes.get(api.baseUri) ?? httpTarget({ base: api.baseUri, timeoutMs: opts.timeoutMs });
        remotes.set(api.baseUri, target);
      }
      const binding: Binding = { cap, api, target, defaultsApply: api.baseUri === '', upstreamKey: opts.upstreamKey };
      bindings.set(api, binding);
      const credential = api.authentication
        ? `${api.authentication.type} authentication`
        : target.local
          ? 'in-process'
          : (api.baseUri === '' && opts.upstreamKey) || cap.binds.values().next().value
            ? 'bearer credential'
            : 'no credential';
      summary.push(`${api.namespace} → ${target.label} (${credential})`);
    }
  const bindingOf = (ref: string, capIndex: number): Binding => {
    const cap = opts.set.capabilities[capIndex];
    const api = cap.consumes.find((a) => ref.startsWith(`${a.namespace}.`))!;
    return bindings.get(api)!;
  };
  const rest = new Map<number, RestEntry[]>();
  const tools = new Map<number, ToolEntry[]>();
  const allTools: ToolEntry[] = [];
  const descriptions: string[] = [];
  opts.set.capabilities.forEach((cap, i) => {
    for (const a of cap.rest)
      for (const resource of a.resources)
        for (const operation of resource.operations)
          push(rest, a.port, { resource, operation, binding: bindingOf(operation.call.ref, i) });
    for (const a of cap.mcp) {
      if (a.description) descriptions.push(a.description);
      for (const tool of a.tools) {
        const entry = { tool, binding: bindingOf(tool.call.ref, i) };
        push(tools, a.transport === 'http' ? a.port : -1, entry);
        allTools.push(entry);
      }
    }
  });
  const agentTarget = opts.upstream
    ? opts.upstreamIsSightline
      ? configured()
      : undefined
    : opts.native && configured();
  const instructions = [
    'Sightline serves the logs, events and traces of Prefect flow runs.',
    ...(agentTarget
      ? [
          'To find out why a run failed, reach first for the agent tools: find-flow-runs (no run id yet), diagnose-flow-run (one call: failing path, errors with tracebacks, retries, summary), get-trace-tree, tail-logs, search-logs and compare-flow-runs; the investigate-failed-run prompt walks through them. The other tools mirror the Prefect API one call each.',
        ]
      : []),
    'account_id and workspace_id may be left out where the tool says they default.',
    'Long answers are cut at a whole item; call again with the arguments in "next".',
    ...descriptions,
  ].join('\n');
  return { rest, tools, allTools, instructions, summary, ...(agentTarget ? { agentTarget } : {}) };
}

function configuredTarget(opts: EngineOptions): () => Target {
  let target: Target | undefined;
  return () => {
    if (target) return target;
    if (opts.upstream) {
      const { base, defaults } = parseUpstream(opts.upstream);
      const key = opts.upstreamKey;
      target = httpTarget({
        base,
        defaults,
        timeoutMs: opts.timeoutMs,
        discoveryHeaders: key ? { authorization: `Bearer ${key}` } : {},
      });
    } else if (opts.native) target = nativeTarget(opts.native.app, opts.native.defaults, opts.native.perCaller);
    else throw new AppError('invalid_input', 'A capability with an empty baseUri needs the local API or --upstream.');
    return target;
  };
}
