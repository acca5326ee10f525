/** Shared pieces of the capability tests: MCP clients and the tool-vs-native comparison. */
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { TestServer } from '../helpers/server.ts';
import { type NativeRequest, nativeUrl } from './tool-table.ts';

export type Era = 'legacy' | 'modern';

export async function httpClient(mcpUrl: string, era: Era): Promise<Client> {
  const client = new Client(
    { name: 'sightline-test', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  assert.equal(client.getProtocolEra(), era);
  return client;
}

export interface NativeAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

export async function callNative(server: TestServer, req: NativeRequest): Promise<NativeAnswer> {
  // As addressed over the network (the gateway's links name the native listener, not inject's localhost:80).
  const host: Record<string, string> = server.app.apiUrl ? { host: new URL(server.app.apiUrl).host } : {};
  const res = await server.request(req.method, nativeUrl(server, req), req.body, { ...host, ...req.headers });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

export interface ToolAnswer {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: unknown;
}

/** 2025-era clients receive a non-object `structuredContent` wrapped as `{result: …}`. */
function unwrap(structured: unknown, era: Era, expected: unknown): unknown {
  if (era === 'legacy' && (typeof expected !== 'object' || expected === null || Array.isArray(expected)))
    return (structured as { result: unknown }).result;
  return structured;
}

/**
 * Event pages carry a signed `next_page` whose token embeds the query time (the default window
 * ends "now") and whose origin is the host the request named: compare their path and parameters
 * up to the token.
 */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === 'next_page' && typeof v === 'string'
        ? v.replace(/^https?:\/\/[^/]+/, '').replace(/page-token=[^&]+/, 'page-token=…')
        : stable(v);
  }
  return out;
}

/** A tool result must say what the native API said for the same inputs. */
export function assertSameAnswer(tool: string, got: ToolAnswer, native: NativeAnswer, era: Era): void {
  const text = got.content[0]?.text ?? '';
  const type = String(native.headers['content-type'] ?? '');
  const parsed = (() => {
    try {
      return { ok: true as const, value: JSON.parse(native.body) };
    } catch {
      return { ok: false as const };
    }
  })();
  if (native.status >= 400) {
    assert.equal(got.isError, true, `${tool}: native said ${native.status}, the tool did not fail: ${text}`);
    const sc = got.structuredContent as { status: number; error: unknown };
    assert.equal(sc.status, native.status, `${tool}: status`);
    assert.deepEqual(sc.error, parsed.ok ? parsed.value : native.body.slice(0, 2000), `${tool}: error body`);
    assert.match(text, new RegExp(`HTTP ${native.status}`));
    return;
  }
  assert.notEqual(got.isError, true, `${tool}: ${text}`);
  if (native.status === 304) {
    assert.deepEqual(got.structuredContent, { not_modified: true, etag: native.headers.etag ?? null });
    return;
  }
  if (native.body === '') {
    assert.deepEqual(got.structuredContent, { status: native.status }, `${tool}: empty answer`);
    return;
  }
  if (/json/.test(type) && parsed.ok) {
    assert.deepEqual(stable(JSON.parse(text)), stable(parsed.value), `${tool}: text`);
    assert.deepEqual(
      stable(unwrap(got.structuredContent, era, parsed.value)),
      stable(parsed.value),
      `${tool}: structuredContent`,
    );
    return;
  }
  assert.equal(text, native.body, `${tool}: text body`);
}
