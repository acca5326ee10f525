/**
 * The one error model. Every failure Sightline reports carries a stable `code`; each surface maps
 * codes to its own shape in exactly one place (`api/errors.ts` for `/api`, the capability engine
 * for `/v1` and MCP).
 */

export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'forbidden'
  | 'conflict'
  | 'unsupported'
  | 'unavailable'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'schema_too_new'
  | 'internal';

/** One validation problem, in pydantic's terms so that Prefect's 422 bodies can be rebuilt. */
export interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: Issue[];
  /** The parsed request body, echoed back by Prefect's open-source validation error shape. */
  readonly requestBody: unknown;

  constructor(code: ErrorCode, message: string, options: { issues?: Issue[]; requestBody?: unknown } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = options.issues ?? [];
    this.requestBody = options.requestBody;
  }
}

export function invalidInput(issues: Issue[], requestBody?: unknown): AppError {
  const first = issues[0];
  const where = first ? first.loc.join('.') : 'input';
  return new AppError('invalid_input', `Invalid ${where}: ${first?.msg ?? 'invalid value'}`, { issues, requestBody });
}

/** A single-field validation failure raised outside schema parsing. */
export function invalidField(loc: (string | number)[], msg: string, type = 'value_error', input?: unknown): AppError {
  return invalidInput([{ loc, msg, type, input }]);
}

/** `what` is capitalised as Prefect does: "Flow run not found". */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}
