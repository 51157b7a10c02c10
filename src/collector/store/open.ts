import { isPostgresUrl } from '../options.js';
import type { BacklogLimit } from '../writeQueue.js';
import type { Store } from './types.js';

/**
 * Opens the store `database` names: a `postgres://` URL, otherwise a SQLite
 * file. Only that store's module (and so its driver) is loaded.
 */
export async function openStore(database: string, poolSize: number, backlog?: BacklogLimit): Promise<Store> {
  if (isPostgresUrl(database)) return (await import('./postgres.js')).PostgresStore.open(database, poolSize, backlog);
  return new (await import('./sqlite.js')).SqliteStore(database, backlog);
}
