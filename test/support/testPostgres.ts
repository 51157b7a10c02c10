import { inject } from 'vitest';
import { connectPostgres, startPostgres, type TestPostgres } from './postgres.js';

/** The run's shared PostgreSQL server when the run started one (postgresGlobalSetup.ts), else a server of this file's own. */
export function testPostgres(): Promise<TestPostgres> {
  const url = inject('postgresUrl');
  return url ? Promise.resolve(connectPostgres(url)) : startPostgres();
}
