/**
 * The built server integration, as `import` and as `require` from
 * `idstitch/server` in a plain Node process (no TypeScript loader): its
 * delivery thread starts from the script the build embeds, builds the API
 * calls' messages with the package's version, and delivers them to the real
 * collector before `close()` resolves.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalCollector, type LocalCollector } from '../support/collector.js';
import { expectDelivered } from './delivered.js';
import { LOADERS, runNode, serverSteps } from './steps.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
let collector: LocalCollector;
beforeAll(async () => {
  collector = await startLocalCollector();
});
afterAll(() => collector.close());

it.each(LOADERS('idstitch/server'))('%s: the delivery thread builds and delivers the messages, and close() waits for them', async (run, flags, load) => {
  // Asynchronously: the collector answers from this process's event loop.
  const { stdout } = await runNode(process.execPath, [...flags, serverSteps(flags, load, `${collector.url}/v1/batch`, run)], { cwd: ROOT, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ errors: [], stats: { queued: 0, sent: 2, dropped: 0, refused: 0 } });
  await expectDelivered(collector, run, version);
});

/** The bare imports of a built ES module and of every chunk it imports, transitively. */
function bareImports(file: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(file)) return found;
  seen.add(file);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?['"]([^'"]+)['"]/g)) {
    if (specifier!.startsWith('.')) for (const bare of bareImports(join(dirname(file), specifier!), seen)) found.add(bare);
    else found.add(specifier!);
  }
  return found;
}

it('idstitch/server loads none of the collector\'s dependencies (better-sqlite3, fastify, pg)', async () => {
  const esm = [...bareImports(join(ROOT, 'dist/server/index.mjs'))];
  expect(esm.length).toBeGreaterThan(0);
  expect(esm.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  const { stdout } = await runNode(process.execPath, ['-e', `
    require('idstitch/server');
    console.log(JSON.stringify(Object.keys(require.cache).filter((file) => /node_modules[\\\\/](better-sqlite3|fastify|pg)[\\\\/]/.test(file))));
  `], { cwd: ROOT });
  expect(JSON.parse(stdout)).toEqual([]);
});
