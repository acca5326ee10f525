/** API keys for `--auth` tests, made through the same operation as `sightline keys create`. */
import type { KeyScope } from '../../src/domain/access.ts';
import { createKey } from '../../src/ops/access/admin.ts';
import type { TestServer } from './server.ts';

export interface TestKey {
  id: string;
  secret: string;
  bearer: Record<string, string>;
}

export async function makeKey(
  s: TestServer,
  scope: KeyScope,
  opts: {
    account?: string;
    workspaces?: string[];
    expires?: number | null;
    rateLimitRequests?: number;
    rateLimitItems?: number;
  } = {},
): Promise<TestKey> {
  const { key, secret } = await createKey(s.app.services, {
    account: opts.account ?? s.accountId,
    workspaces: opts.workspaces ?? [],
    scope,
    expires: opts.expires ?? null,
    rateLimitRequests: opts.rateLimitRequests ?? null,
    rateLimitItems: opts.rateLimitItems ?? null,
  });
  return { id: key.id, secret, bearer: { authorization: `Bearer ${secret}` } };
}
