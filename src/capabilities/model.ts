/**
 * The capability model the engine runs: what `validate.ts` builds from a Naftiko-style YAML file
 * (the dialect of `docs/capabilities.md`). Adapters and consumers only ever see these types.
 */

export type JsonSchema = Record<string, unknown>;

/** Where a problem or an element sits in its file (1-based line). */
export interface Where {
  file: string;
  line: number;
}

export interface Problem extends Where {
  severity: 'error' | 'warning';
  message: string;
  /**
   * A known habit of the generator that wrote the shipped files, read as it means: for those
   * files the start-up report shows it only at --log-level debug (a user's file shows it always).
   */
  convention?: boolean;
}

export type ParamLocation = 'path' | 'query' | 'header' | 'body';

/** One input of a consumed operation, with its (possibly corrected) JSON Schema. */
export interface ConsumedParam {
  name: string;
  in: ParamLocation;
  schema: JsonSchema;
  required: boolean;
  description?: string;
  /** A static value or `{{template}}` declared on the parameter itself. */
  value?: unknown;
}

/** `bearer`, `apikey` and `basic` are supported; their string fields may be `{{templates}}`. */
export type Authentication =
  | { type: 'bearer'; token: string }
  | { type: 'apikey'; key: string; value: string; placement: 'header' | 'query' }
  | { type: 'basic'; username: string; password: string };

export interface ConsumedOperation {
  /** `<consumes namespace>.<operation name>`: what `call` names. */
  ref: string;
  name: string;
  method: string;
  /** The upstream path template, byte for byte (single- or double-brace variables). */
  path: string;
  description: string;
  params: ConsumedParam[];
  outputRawFormat: string;
  /** Extra documentation (the authority's description, limits, paging) merged in by corrections. */
  notes?: string;
  paging?: Paging;
  /**
   * What the operation answers, by status (OpenAPI `responses`, schemas inline): the native
   * operation's, when the shipped files are consumed in-process; unknown otherwise.
   */
  responses?: Record<string, unknown>;
  where: Where;
}

export interface ConsumedApi {
  namespace: string;
  /** `''` = the configured API (the local native API unless `--upstream` is given). */
  baseUri: string;
  description: string;
  authentication?: Authentication;
  operations: ConsumedOperation[];
}

/** How a tool continues after a page that was cut short (see `truncate.ts`). */
export type Paging =
  | { kind: 'offset'; argument: string; list?: string }
  | { kind: 'page'; page: string; limit: string; defaultLimit: number; list?: string }
  | { kind: 'limit'; argument: string; list?: string; hint?: string }
  | { kind: 'none'; list?: string; hint?: string };

/** A `with` value: a reference to an input of the exposed side, a template, or a literal. */
export type Binding =
  | { kind: 'input'; name: string }
  | { kind: 'template'; text: string }
  | { kind: 'literal'; value: unknown };

export interface ExposedCall {
  call: ConsumedOperation;
  /** Keyed by consumed parameter name, in file order. */
  with: [string, Binding][];
}

export interface RestOperation extends ExposedCall {
  method: string;
  name: string;
  description: string;
  where: Where;
}

export interface RestResource {
  /** The exposed path, e.g. `/v1/api/accounts/{account-id}/…`. */
  path: string;
  name: string;
  description: string;
  operations: RestOperation[];
  where: Where;
}

export interface RestAdapter {
  namespace: string;
  port: number;
  description: string;
  resources: RestResource[];
}

export interface ToolHints {
  readOnly?: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  openWorld?: boolean;
}

export interface McpToolDef extends ExposedCall {
  name: string;
  label?: string;
  description: string;
  hints?: ToolHints;
  where: Where;
}

export interface McpAdapter {
  namespace: string;
  port: number;
  transport: 'http' | 'stdio';
  description: string;
  tools: McpToolDef[];
}

export interface Capability {
  file: string;
  label: string;
  description: string;
  /** Bind variables by name; a missing value is `undefined` (never logged). */
  binds: Map<string, string | undefined>;
  consumes: ConsumedApi[];
  rest: RestAdapter[];
  mcp: McpAdapter[];
}

/** Everything loaded, with the problems found on the way (warnings only when it loaded). */
export interface CapabilitySet {
  capabilities: Capability[];
  problems: Problem[];
  /** Parameter corrections applied, for the start-up summary and the docs. */
  corrections: string[];
}
