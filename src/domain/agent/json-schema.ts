/**
 * A small builder for the agent tools' output schemas (MCP `outputSchema`, OpenAPI responses):
 * plain JSON Schema, every listed property required unless named optional.
 */
export type J = Record<string, unknown>;

export const S = {
  str: (description?: string): J => ({ type: 'string', ...(description ? { description } : {}) }),
  int: (description?: string): J => ({ type: 'integer', ...(description ? { description } : {}) }),
  num: (description?: string): J => ({ type: 'number', ...(description ? { description } : {}) }),
  bool: (description?: string): J => ({ type: 'boolean', ...(description ? { description } : {}) }),
  /** `x` or null. */
  opt: (x: J): J => ({ anyOf: [x, { type: 'null' }] }),
  arr: (items: J, description?: string): J => ({ type: 'array', items, ...(description ? { description } : {}) }),
  /** Any JSON value (parameters). */
  any: (description?: string): J => (description ? { description } : {}),
  obj(props: Record<string, J>, optional: readonly string[] = []): J {
    return {
      type: 'object',
      properties: props,
      required: Object.keys(props).filter((k) => !optional.includes(k)),
    };
  },
  /** A map of names to `value`. */
  map: (value: J): J => ({ type: 'object', additionalProperties: value }),
};

/** What a cut answer adds (see `ops/agent/fit.ts`). */
export const CUT_FIELDS: Record<string, J> = {
  truncated: S.bool('True when the answer was cut to fit --mcp-max-chars.'),
  returned: S.int('How many items of the cut list were returned.'),
  next: S.map({}),
  hint: S.str('Where the rest of a cut answer can be read.'),
};
const CUT_KEYS = Object.keys(CUT_FIELDS);

/** An output object whose list may be cut. */
export function cuttable(props: Record<string, J>, optional: readonly string[] = []): J {
  return S.obj({ ...props, ...CUT_FIELDS }, [...optional, ...CUT_KEYS]);
}
