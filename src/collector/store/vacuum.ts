/**
 * `idstitch-collector --vacuum` (README "Erasure"): rewrites a SQLite file so
 * no erased bytes stay in it. An erasure overwrites the rows it deletes
 * (`secure_delete`, sqliteWrites.ts), but until the file is rewritten older
 * copies may remain: in the WAL (page images written before the erasure),
 * and in the free space of pages whose rows moved before it. `VACUUM`
 * rebuilds every page; the checkpoint then empties the WAL.
 */
import { existsSync, statSync } from 'node:fs';
import { CollectorOptionError } from '../errors.js';
import { isPostgresUrl } from '../options.js';
import { sqliteDriver } from './drivers.js';

/** What a compaction did: the file's size (with its WAL) before and after, in bytes. */
export interface Compaction {
  file: string;
  bytesBefore: number;
  bytesAfter: number;
}

const sizeOf = (file: string) => [file, `${file}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

/**
 * Compacts the SQLite file `database` in place. Run it with the collector
 * stopped: a running one would wait for the rewrite, and its readers keep
 * the WAL from being emptied (reported as a {@link CollectorOptionError}).
 */
export function compactSqlite(database: string): Compaction {
  if (isPostgresUrl(database)) {
    throw new CollectorOptionError('--vacuum', 'compacts a SQLite file; on PostgreSQL run VACUUM FULL on the idstitch tables (psql), which also rewrites them');
  }
  if (!existsSync(database)) throw new CollectorOptionError('--vacuum', `found no SQLite file at ${database} (pass --database)`);
  const bytesBefore = sizeOf(database);
  const db = new (sqliteDriver())(database, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.exec('VACUUM');
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result && result.busy) throw new CollectorOptionError('--vacuum', `found the WAL of ${database} in use, so it still holds old pages: stop the collector and run it again`);
  } finally {
    db.close();
  }
  return { file: database, bytesBefore, bytesAfter: sizeOf(database) };
}
