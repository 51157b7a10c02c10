/**
 * Scripts that exercise a built package in a plain Node process (no
 * TypeScript loader), from whatever folder they run in: the repo itself, or
 * an empty project that installed a packed tarball.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const runNode = promisify(execFile);

/** Node flags and the expression that loads a package, for ESM, CJS, and ESM under flags a worker would refuse. */
export const LOADERS = (specifier: string) =>
  [
    ['esm', ['--input-type=module', '-e'], `await import('${specifier}')`],
    ['cjs', ['-e'], `require('${specifier}')`],
    // Threads inherit the host's flags; passed to a Worker explicitly, the first would be refused.
    ['flags', ['--max-old-space-size=256', '--input-type', 'module', '-e'], `await import('${specifier}')`],
  ] as const;

/** An ES module script has no `require` of its own. */
const requirePrelude = (flags: readonly string[]) =>
  flags.some((flag) => flag.includes('module')) ? "import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');" : '';

/**
 * One request through idstitchMiddleware on node:http and one client.track,
 * then close(); prints what onError got and the client's stats.
 */
export const serverSteps = (flags: readonly string[], load: string, endpoint: string, run: string) => `${requirePrelude(flags)}
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

/**
 * Opens a collector on `database`, stores a batch through HTTP inject, reads
 * the user back and closes; prints the answer and which database drivers
 * the process loaded (each store loads only its own).
 */
export const collectorSteps = (flags: readonly string[], load: string, database: string) => `${requirePrelude(flags)}
  (async () => {
    const { createCollector } = ${load};
    const drivers = () => Object.keys(require.cache).map((file) => /node_modules[\\\\/](better-sqlite3|pg)[\\\\/]/.exec(file)?.[1]).filter(Boolean);
    const atImport = [...new Set(drivers())];
    const c = await createCollector({ database: ${JSON.stringify(database)}, logLevel: 'silent' });
    const batch = [
      { type: 'page', messageId: 'm1', anonymousId: 'a1', timestamp: '2024-05-01T10:00:00.000Z' },
      { type: 'identify', messageId: 'm2', anonymousId: 'a1', userId: 'u1', timestamp: '2024-05-01T10:00:01.000Z' },
    ];
    const answer = await c.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch } });
    const user = (await c.app.inject('/v1/users/u1')).json();
    await c.close();
    console.log(JSON.stringify({ status: answer.statusCode, eventCount: user.eventCount, anonymousIds: user.anonymousIds, atImport, loaded: [...new Set(drivers())] }));
  })();
`;
