/** PostgreSQL: accounts, workspaces and the token secret, created once per database. */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../domain/errors.ts';
import { uuid4 } from '../../domain/ids.ts';
import type { Account, NewAccount, NewWorkspace, Workspace } from '../../domain/tenancy.ts';
import { nowMicros } from '../../domain/time.ts';
import type { TenancyStore } from '../contract.ts';
import type { Row } from '../shared/row-decoding.ts';
import { LOCK, type PgDb } from './db.ts';
import { toWorkspace } from './run-rows.ts';

const UNIQUE_VIOLATION = '23505';

const newSecret = () => randomBytes(32).toString('base64url');

export class PgTenancy implements TenancyStore {
  private readonly db: PgDb;
  /** Workspace uuid → internal integer key used by every data table (keys never change). */
  private readonly keys = new Map<string, number>();

  constructor(db: PgDb) {
    this.db = db;
  }

  /** The internal key of a workspace, or undefined when it does not exist. */
  async key(workspaceId: string): Promise<number | undefined> {
    let k = this.keys.get(workspaceId);
    if (k === undefined) {
      const row = await this.db.one<{ ws: number }>('SELECT ws FROM workspaces WHERE id = $1', [workspaceId]);
      if (!row) return undefined;
      k = row.ws;
      this.keys.set(workspaceId, k);
    }
    return k;
  }

  async ensureDefaults(): Promise<{ account: Account; workspace: Workspace }> {
    const existing = await this.defaults();
    if (existing) return existing;
    // The first instance creates them; a second one starting at the same time waits on the lock
    // and then finds them.
    await this.db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK.tenancy]);
      await c.query("INSERT INTO meta (key, value) VALUES ('token_secret', $1) ON CONFLICT (key) DO NOTHING", [
        newSecret(),
      ]);
      if (await this.db.one('SELECT 1 FROM workspaces WHERE is_default', [], c)) return;
      const accountId = uuid4();
      const now = nowMicros();
      await c.query('INSERT INTO accounts (id, name, handle, created) VALUES ($1, $2, $3, $4)', [
        accountId,
        'default',
        'default',
        now,
      ]);
      await c.query(
        'INSERT INTO workspaces (id, account_id, name, handle, description, is_default, created) VALUES ($1, $2, $3, $4, $5, true, $6)',
        [uuid4(), accountId, 'default', 'default', 'The default workspace', now],
      );
    });
    return (await this.defaults())!;
  }

  private async defaults(): Promise<{ account: Account; workspace: Workspace } | undefined> {
    const ws = await this.db.one<Row>('SELECT * FROM workspaces WHERE is_default');
    if (!ws) return undefined;
    const account = await this.getAccount(ws.account_id as string);
    return { account: account!, workspace: toWorkspace(ws) };
  }

  async getAccount(accountId: string): Promise<Account | undefined> {
    return this.db.one<Account>('SELECT id, name, handle FROM accounts WHERE id = $1', [accountId]);
  }

  async listAccounts(): Promise<Account[]> {
    return this.db.query<Account>('SELECT id, name, handle FROM accounts ORDER BY created, id');
  }

  async createAccount(input: NewAccount): Promise<Account> {
    try {
      return (await this.db.one<Account>(
        'INSERT INTO accounts (id, name, handle, created) VALUES ($1, $2, $3, $4) RETURNING id, name, handle',
        [uuid4(), input.name, input.handle, nowMicros()],
      ))!;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION)
        throw new AppError('conflict', `An account with handle '${input.handle}' already exists.`);
      throw err;
    }
  }

  async getWorkspace(accountId: string, workspaceId: string): Promise<Workspace | undefined> {
    const r = await this.db.one<Row>('SELECT * FROM workspaces WHERE id = $1 AND account_id = $2', [
      workspaceId,
      accountId,
    ]);
    return r ? toWorkspace(r) : undefined;
  }

  async listWorkspaces(accountId?: string): Promise<Workspace[]> {
    const rows =
      accountId === undefined
        ? await this.db.query<Row>('SELECT * FROM workspaces ORDER BY ws')
        : await this.db.query<Row>('SELECT * FROM workspaces WHERE account_id = $1 ORDER BY ws', [accountId]);
    return rows.map(toWorkspace);
  }

  async createWorkspace(input: NewWorkspace): Promise<Workspace> {
    try {
      const r = await this.db.one<Row>(
        `INSERT INTO workspaces (id, account_id, name, handle, description, is_default, created)
         VALUES ($1, $2, $3, $4, $5, false, $6) RETURNING *`,
        [uuid4(), input.accountId, input.name, input.handle, input.description, nowMicros()],
      );
      return toWorkspace(r!);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION)
        throw new AppError('conflict', `A workspace with handle '${input.handle}' already exists in this account.`);
      throw err;
    }
  }

  async tokenSecret(): Promise<string> {
    // Normally created with the defaults; racing inserts resolve to the first commit's secret.
    await this.db.query("INSERT INTO meta (key, value) VALUES ('token_secret', $1) ON CONFLICT (key) DO NOTHING", [
      newSecret(),
    ]);
    const row = await this.db.one<{ value: string }>("SELECT value FROM meta WHERE key = 'token_secret'");
    return row!.value;
  }
}
