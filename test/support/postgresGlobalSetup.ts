/**
 * One PostgreSQL server for the whole integration run (vitest globalSetup):
 * each test file makes fresh databases on it (testPostgres.ts) instead of
 * starting a server of its own, a couple of seconds saved per file.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type TestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

let server: TestPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startPostgres();
  project.provide('postgresUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
