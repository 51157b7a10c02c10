/**
 * The built collector, as `import` and as `require` from `idstitch-collector`
 * (the workspace package) in a plain Node process: its SQLite writer and
 * checkpoint threads load the built chunks, store a batch, answer queries and
 * stop cleanly, and only the driver of the store opened is loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestPostgres } from '../support/postgres.js';
import { testPostgres } from '../support/testPostgres.js';
import { collectorSteps, LOADERS, runNode } from './steps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'idstitch-dist-'));
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await testPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it.each(LOADERS('idstitch-collector'))('%s: stores through the writer thread and stops, loading no PostgreSQL driver', async (name, flags, load) => {
  const { stdout } = await runNode(process.execPath, [...flags, collectorSteps(flags, load, join(dir, `${name}.db`))], { cwd: ROOT, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ status: 200, eventCount: 2, anonymousIds: ['a1'], atImport: [], loaded: ['better-sqlite3'] });
});

it.each(LOADERS('idstitch-collector'))('%s: a PostgreSQL collector stores a batch without loading native SQLite', async (_name, flags, load) => {
  const database = await postgres.createDatabase();
  const { stdout } = await runNode(process.execPath, [...flags, collectorSteps(flags, load, database)], { cwd: ROOT, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ status: 200, eventCount: 2, anonymousIds: ['a1'], atImport: [], loaded: ['pg'] });
});

it('esm: serves the dashboard script embedded by the build, with esbuild (a devDependency) unloadable', async () => {
  const refuseEsbuild = "data:text/javascript,export async function resolve(s, c, next) { if (/^esbuild($|\\/)/.test(s)) throw new Error('no esbuild here'); return next(s, c); }";
  const script = `import { register } from 'node:module';
    register(${JSON.stringify(refuseEsbuild)});
    const { createCollector } = await import('idstitch-collector');
    const c = await createCollector({ database: ':memory:', logLevel: 'silent' });
    const r = await c.app.inject('/dashboard/app.js');
    await c.close();
    console.log(JSON.stringify({ status: r.statusCode, type: r.headers['content-type'], bundle: !/\\bimport\\s*[\\w{*]/.test(r.body) && r.body.includes('visibilitychange') }));`;
  const { stdout } = await runNode(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', bundle: true });
});
