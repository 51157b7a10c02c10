import { isPostgresUrl } from '../options.js';
import type { Store, StoreOptions } from './types.js';

/**
 * Opens the store `database` names: a `postgres://` URL, otherwise a SQLite
 * file. Only that store's module (and so its driver) is loaded.
 */
export async function openStore(database: string, options: StoreOptions): Promise<Store> {
  if (isPostgresUrl(database)) return (await import('./postgres.js')).PostgresStore.open(database, options);
  return new (await import('./sqlite.js')).SqliteStore(database, options);
}
