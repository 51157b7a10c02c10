/**
 * The database drivers, each loaded the first time a store of its kind
 * opens: a PostgreSQL deployment never loads native SQLite, and a SQLite one
 * never loads `pg`, although the package exports both stores.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type Pg from 'pg';

const load = createRequire(import.meta.url);

export const sqliteDriver = (): typeof BetterSqlite3 => load('better-sqlite3') as typeof BetterSqlite3;
export const pgDriver = (): typeof Pg => load('pg') as typeof Pg;
