/** Field schemas shared by flows, runs and artifacts: names, tags, labels, JSON objects. */
import { array, cleanText, INVALID, issuesFull, keyText, type Schema, setOwn, stopEarly } from '../../lib/schema.ts';

/** Prefect's object names must not contain `/ % & > <` (`P/types/names.py`). */
export const NAME_PATTERN = /^[^/%&><]+$/;

export function nameSchema(): Schema<string> {
  return keyText({ max: 5000, pattern: NAME_PATTERN, patternHint: "String should match pattern '^[^/%&><]+$'" });
}

export function tagsSchema(): Schema<string[]> {
  return array(keyText());
}

export type LabelValue = string | number | boolean;
export type Labels = Record<string, LabelValue>;

/** `KeyValueLabels`: values keep their JSON type (no coercion between bool, number and string). */
export function labelsSchema(): Schema<Labels> {
  const s: Schema<Labels> = {
    parse(v, loc, issues) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        issues.push({ loc, msg: 'Input should be a valid dictionary', type: 'dict_type', input: v });
        return INVALID;
      }
      let ok = true;
      const out: Labels = {};
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, keys.length - i, 'label');
        const k = keys[i];
        const x = (v as Record<string, unknown>)[k];
        if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) {
          issues.push({
            loc: [...loc, k],
            msg: 'Input should be a valid boolean, integer, number or string',
            type: 'union_tag_invalid',
            input: x,
          });
          ok = false;
        } else setOwn(out, cleanText(k), typeof x === 'string' ? cleanText(x) : x);
      }
      return ok ? out : INVALID;
    },
    json: () => ({
      type: 'object',
      additionalProperties: {
        anyOf: [{ type: 'boolean' }, { type: 'integer' }, { type: 'number' }, { type: 'string' }],
      },
    }),
    describe: () => s,
  };
  return s;
}

/** Seconds as Prefect renders durations (`ser_json_timedelta="float"`), from microseconds. */
export function seconds(micros: number): number {
  return micros / 1_000_000;
}
