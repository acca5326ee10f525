/** What readiness and the metrics read about the database, through the store's health contract. */
import { type StoreServices, storeOf } from '../context.ts';

export interface DatabaseUse {
  textIndexLag: number;
  sizeBytes: number;
  pool?: { total: number; idle: number; waiting: number };
}

/** Why the server cannot serve (database unreachable, migrations pending); empty when it can. */
export function readinessProblems(services: StoreServices): Promise<string[]> {
  return storeOf(services).health.problems();
}

/** The database's figures for one metrics scrape. */
export async function databaseUse(services: StoreServices): Promise<DatabaseUse> {
  const store = storeOf(services);
  const [textIndexLag, sizeBytes] = await Promise.all([store.logs.textIndexLag(), store.health.sizeBytes()]);
  return { textIndexLag, sizeBytes, pool: store.health.pool() };
}
