/** API keys (ADR 27): only the SHA-256 of a secret is kept; account handles become unique. */
import type { Migration } from './index.ts';

export const apiKeys: Migration = {
  version: 9,
  name: 'api keys; unique account handles',
  sql: `
      CREATE UNIQUE INDEX accounts_handle ON accounts (handle);
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        workspace_ids TEXT,
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        expires INTEGER,
        revoked INTEGER,
        last_used INTEGER,
        rate_limit_requests INTEGER,
        rate_limit_items INTEGER
      );
      CREATE INDEX api_keys_account ON api_keys (account_id, created);
    `,
};
