/** SQLite: accounts, workspaces and the token secret. */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../domain/errors.ts';
import { uuid4 } from '../../domain/ids.ts';
import type { Account, NewAccount, NewWorkspace, Workspace } from '../../domain/tenancy.ts';
import { nowMicros } from '../../domain/time.ts';
import type { TenancyStore } from '../contract.ts';
import type { Row } from '../shared/row-decoding.ts';
import type { Db } from './db.ts';
import { toWorkspace } from './run-rows.ts';

export class SqliteTenancy implements TenancyStore {
  private readonly db: Db;
  /** Workspace uuid → internal integer key used by every data table. */
  private readonly keys = new Map<string, number>();

  constructor(db: Db) {
    this.db = db;
  }

  /** The internal key of a workspace, or undefined when it does not exist. */
  key(workspaceId: string): number | undefined {
    let k = this.keys.get(workspaceId);
    if (k === undefined) {
      const row = this.db.stmt('SELECT ws FROM workspaces WHERE id = ?').get(workspaceId) as { ws: number } | undefined;
      if (!row) return undefined;
      k = row.ws;
      this.keys.set(workspaceId, k);
    }
    return k;
  }

  async ensureDefaults(): Promise<{ account: Account; workspace: Workspace }> {
    return this.db.tx(() => {
      let ws = this.db.stmt('SELECT * FROM workspaces WHERE is_default = 1').get() as Row | undefined;
      if (!ws) {
        const accountId = uuid4();
        const now = nowMicros();
        this.db
          .stmt('INSERT INTO accounts (id, name, handle, created) VALUES (?, ?, ?, ?)')
          .run(accountId, 'default', 'default', now);
        this.db
          .stmt(
            'INSERT INTO workspaces (id, account_id, name, handle, description, is_default, created) VALUES (?, ?, ?, ?, ?, 1, ?)',
          )
          .run(uuid4(), accountId, 'default', 'default', 'The default workspace', now);
        ws = this.db.stmt('SELECT * FROM workspaces WHERE is_default = 1').get() as unknown as Row;
      }
      const account = this.db
        .stmt('SELECT id, name, handle FROM accounts WHERE id = ?')
        .get(ws.account_id as string) as unknown as Account;
      return { account: { ...account }, workspace: toWorkspace(ws) };
    });
  }

  async getAccount(accountId: string): Promise<Account | undefined> {
    const a = this.db.stmt('SELECT id, name, handle FROM accounts WHERE id = ?').get(accountId) as Account | undefined;
    return a ? { ...a } : undefined;
  }

  async listAccounts(): Promise<Account[]> {
    return (
      this.db.stmt('SELECT id, name, handle FROM accounts ORDER BY created, id').all() as unknown as Account[]
    ).map((a) => ({ ...a }));
  }

  async createAccount(input: NewAccount): Promise<Account> {
    return this.db.tx(() => {
      if (this.db.stmt('SELECT 1 FROM accounts WHERE handle = ?').get(input.handle))
        throw new AppError('conflict', `An account with handle '${input.handle}' already exists.`);
      const id = uuid4();
      this.db
        .stmt('INSERT INTO accounts (id, name, handle, created) VALUES (?, ?, ?, ?)')
        .run(id, input.name, input.handle, nowMicros());
      return { id, name: input.name, handle: input.handle };
    });
  }

  async getWorkspace(accountId: string, workspaceId: string): Promise<Workspace | undefined> {
    const r = this.db.stmt('SELECT * FROM workspaces WHERE id = ? AND account_id = ?').get(workspaceId, accountId) as
      | Row
      | undefined;
    return r ? toWorkspace(r) : undefined;
  }

  async listWorkspaces(accountId?: string): Promise<Workspace[]> {
    const rows =
      accountId === undefined
        ? this.db.stmt('SELECT * FROM workspaces ORDER BY ws').all()
        : this.db.stmt('SELECT * FROM workspaces WHERE account_id = ? ORDER BY ws').all(accountId);
    return (rows as unknown as Row[]).map(toWorkspace);
  }

  async createWorkspace(input: NewWorkspace): Promise<Workspace> {
    return this.db.tx(() => {
      const taken = this.db
        .stmt('SELECT 1 FROM workspaces WHERE account_id = ? AND handle = ?')
        .get(input.accountId, input.handle);
      if (taken)
        throw new AppError('conflict', `A workspace with handle '${input.handle}' already exists in this account.`);
      const id = uuid4();
      this.db
        .stmt(
          'INSERT INTO workspaces (id, account_id, name, handle, description, is_default, created) VALUES (?, ?, ?, ?, ?, 0, ?)',
        )
        .run(id, input.accountId, input.name, input.handle, input.description, nowMicros());
      return toWorkspace(this.db.stmt('SELECT * FROM workspaces WHERE id = ?').get(id) as unknown as Row);
    });
  }

  async tokenSecret(): Promise<string> {
    return this.db.tx(() => {
      const row = this.db.stmt("SELECT value FROM meta WHERE key = 'token_secret'").get() as
        | { value: string }
        | undefined;
      if (row) return row.value;
      const secret = randomBytes(32).toString('base64url');
      this.db.stmt("INSERT INTO meta (key, value) VALUES ('token_secret', ?)").run(secret);
      return secret;
    });
  }
}
