/**
 * The built server integration, as `import` and as `require` from
 * `idstitch/server` in a plain Node process (no TypeScript loader): its
 * delivery thread starts from the script the build embeds, builds the API
 * calls' messages with the package's version, and delivers them to the real
 * collector before `close()` resolves.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalCollector, type LocalCollector } from '../support/collector.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
let collector: LocalCollector;
beforeAll(async () => {
  collector = await startLocalCollector();
});
afterAll(() => collector.close());

/** One request through idstitchMiddleware on node:http and one client.track, then close(); prints what onError got. */
const steps = (load: string, endpoint: string, run: string) => `
  (async () => {
    const { createServer, get } = require('node:http');
    const { createServerClient, idstitchMiddleware } = ${load};
    const errors = [];
    const client = createServerClient({ endpoint: ${JSON.stringify(endpoint)}, onError: (e) => errors.push(e.code + ': ' + e.message) });
    const track = idstitchMiddleware({ client, identifyUser: () => 'u_dist' });
    const server = createServer((req, res) => { track(req, res); res.end('hello'); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise((resolve) => get('http://127.0.0.1:' + server.address().port + ${JSON.stringify(`/${run}?q=1`)}, (res) => res.resume().on('end', resolve)));
    server.close();
    client.track({ userId: 'u_dist', event: 'Dist', properties: { run: ${JSON.stringify(run)} } });
    await client.close();
    console.log(JSON.stringify({ errors, stats: client.stats() }));
  })();
`;

it.each([
  ['esm', ['--input-type=module', '-e'], "await import('idstitch/server')"],
  ['cjs', ['-e'], "require('idstitch/server')"],
  // The thread inherits the host's flags; passed to a Worker explicitly, the first would be refused.
  ['flags', ['--max-old-space-size=256', '--input-type', 'module', '-e'], "await import('idstitch/server')"],
])('%s: the delivery thread builds and delivers the messages, and close() waits for them', async (run, flags, load) => {
  // An ES module script has no `require` of its own (the steps use it for node:http).
  const prelude = run === 'cjs' ? '' : "import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');";
  // Asynchronously: the collector answers from this process's event loop.
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, prelude + steps(load, `${collector.url}/v1/batch`, run)], { cwd: ROOT, timeout: 30_000 });
  expect(JSON.parse(stdout)).toEqual({ errors: [], stats: { queued: 0, sent: 2, dropped: 0, refused: 0 } });

  const [track] = await collector.rowsWhere('run', run);
  expect(track!.body).toMatchObject({ event: 'Dist', userId: 'u_dist', context: { library: { name: 'idstitch-node', version } } });
  const [call] = await collector.rowsWhere('path', `/${run}`);
  expect(call!.body).toMatchObject({
    type: 'track',
    event: 'API Call',
    userId: 'u_dist',
    properties: { method: 'GET', route: null, path: `/${run}`, status: 200, responseBytes: 5 },
    context: { library: { name: 'idstitch-node', version } },
  });
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
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', `
    require('idstitch/server');
    console.log(JSON.stringify(Object.keys(require.cache).filter((file) => /node_modules[\\\\/](better-sqlite3|fastify|pg)[\\\\/]/.test(file))));
  `], { cwd: ROOT });
  expect(JSON.parse(stdout)).toEqual([]);
});
