/** API keys (ADR 27): only the SHA-256 of a secret is kept; account handles become unique. */
import type { Migration } from './index.ts';

export const apiKeys: Migration = {
  version: 10,
  name: 'api keys; unique account handles',
  sql: `
    CREATE UNIQUE INDEX accounts_handle ON accounts (handle);
    CREATE TABLE api_keys (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts(id),
      workspace_ids text[],
      scope text NOT NULL,
      name text NOT NULL,
      prefix text NOT NULL,
      hash text NOT NULL UNIQUE,
      created bigint NOT NULL,
      expires bigint,
      revoked bigint,
      last_used bigint,
      rate_limit_requests integer,
      rate_limit_items integer
    );
    CREATE INDEX api_keys_account ON api_keys (account_id, created);
  `,
};
