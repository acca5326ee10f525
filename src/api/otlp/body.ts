/**
 * Reading an OTLP request body: its encoding (protobuf or JSON, plain or gzip; anything else is
 * 415) and its bytes, at most `--otlp-max-body` of them after decompression. The limit is enforced
 * while inflating (zlib's `maxOutputLength` stops there), so a gzip bomb is never inflated whole.
 */
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AppError } from '../../domain/errors.ts';
import { OtlpDecodeError } from './decode-error.ts';

const gunzipAsync = promisify(gunzip);

export type OtlpEncoding = 'protobuf' | 'json';

export const OTLP_CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The encoding a `Content-Type` names, or undefined for any other type. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

export function unsupportedType(contentType: string | undefined): AppError {
  return new AppError(
    'unsupported_media_type',
    contentType === undefined
      ? 'An OTLP export needs Content-Type application/x-protobuf or application/json'
      : `Unsupported content type '${contentType.slice(0, 100)}': OTLP takes application/x-protobuf or application/json`,
  );
}

const tooLarge = (limit: number) =>
  new AppError(
    'payload_too_large',
    `The OTLP body is larger than --otlp-max-body (${limit} bytes) after decompression`,
  );

/** Whether the body is gzip (true), plain (false), or in an encoding OTLP does not allow (415). */
export function isGzip(contentEncoding: string | undefined): boolean {
  const e = contentEncoding?.trim().toLowerCase();
  if (e === undefined || e === '' || e === 'identity') return false;
  if (e === 'gzip' || e === 'x-gzip') return true;
  throw new AppError(
    'unsupported_media_type',
    `Unsupported Content-Encoding '${contentEncoding?.slice(0, 100)}': OTLP bodies are plain or gzip`,
  );
}

/**
 * The body's bytes, decompressed: 413 once more than `limit` bytes arrive or would come out of
 * gzip; 400 (`OtlpDecodeError`) for a gzip stream that is not one.
 */
export async function readOtlpBody(
  stream: Readable,
  gzip: boolean,
  declaredLength: number,
  limit: number,
): Promise<Buffer> {
  if (declaredLength > limit) {
    stream.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      // The rest is read and dropped so that the client can read the 413.
      stream.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  if (!gzip) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new OtlpDecodeError(`The body is not valid gzip: ${(err as Error).message}`);
  }
}
