import { isPostgresUrl } from '../options.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/** Opens the store `database` names: a `postgres://` URL, otherwise a SQLite file. */
export async function openStore(database: string, poolSize: number): Promise<Store> {
  return isPostgresUrl(database) ? PostgresStore.open(database, poolSize) : new SqliteStore(database);
}
