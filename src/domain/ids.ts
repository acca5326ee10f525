/** UUID parsing and generation. Ids are lowercase, hyphenated strings everywhere in Sightline. */
import { randomBytes, randomUUID } from 'node:crypto';
import { fail, type Schema, schema } from '../lib/schema.ts';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOOSE =
  /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/;

/** Returns the canonical form of a UUID in any of the spellings pydantic accepts, or undefined. */
export function normalizeUuid(value: string): string | undefined {
  if (CANONICAL.test(value)) return value;
  const m = LOOSE.exec(value);
  if (!m) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

export function isUuid(value: string): boolean {
  return normalizeUuid(value) !== undefined;
}

export function uuid4(): string {
  return randomUUID();
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let pool = randomBytes(16 * 1024);
let poolOffset = 0;
let lastMs = 0;
let counter = 0;

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids generated
 * within one millisecond in increasing order, then random bits. Randomness comes from a pooled
 * buffer because log ingest mints hundreds of thousands of ids per second.
 */
export function uuid7(): string {
  let ms = Math.floor(performance.timeOrigin + performance.now());
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  if (poolOffset + 8 > pool.length) {
    pool = randomBytes(16 * 1024);
    poolOffset = 0;
  }
  const r = pool.subarray(poolOffset, poolOffset + 8);
  poolOffset += 8;
  const t = ms.toString(16).padStart(12, '0');
  return (
    `${t.slice(0, 8)}-${t.slice(8, 12)}-${(0x7000 | counter).toString(16)}-` +
    `${HEX[0x80 | (r[0] & 0x3f)]}${HEX[r[1]]}-${HEX[r[2]]}${HEX[r[3]]}${HEX[r[4]]}${HEX[r[5]]}${HEX[r[6]]}${HEX[r[7]]}`
  );
}

/** A UUID in any spelling pydantic accepts, parsed to its canonical form. */
export function uuid(): Schema<string> {
  return schema(
    (v, loc, issues) => {
      const id = typeof v === 'string' ? normalizeUuid(v) : undefined;
      return id ?? fail(issues, loc, 'uuid_parsing', 'Input should be a valid UUID', v);
    },
    () => ({ type: 'string', format: 'uuid' }),
  );
}
