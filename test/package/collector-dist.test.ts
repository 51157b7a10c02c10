/**
 * The built collector, as `import` and as `require` from `idstitch/collector`
 * in a plain Node process (no TypeScript loader): its SQLite writer and
 * checkpoint threads load the built chunks, store a batch, answer queries and
 * stop cleanly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'idstitch-dist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same steps for both module systems; `load` yields the module. */
const steps = (load: string, database: string) => `
  (async () => {
    const { createCollector } = ${load};
    const c = await createCollector({ database: ${JSON.stringify(database)}, logLevel: 'silent' });
    const batch = [
      { type: 'page', messageId: 'm1', anonymousId: 'a1', timestamp: '2024-05-01T10:00:00.000Z' },
      { type: 'identify', messageId: 'm2', anonymousId: 'a1', userId: 'u1', timestamp: '2024-05-01T10:00:01.000Z' },
    ];
    const answer = await c.app.inject({ method: 'POST', url: '/v1/batch', payload: { batch } });
    const user = (await c.app.inject('/v1/users/u1')).json();
    await c.close();
    console.log(JSON.stringify({ status: answer.statusCode, eventCount: user.eventCount, anonymousIds: user.anonymousIds }));
  })();
`;

it.each([
  ['ESM import', ['--input-type=module', '-e'], "await import('idstitch/collector')"],
  ['CommonJS require', ['-e'], "require('idstitch/collector')"],
  // Flags the threads inherit; passed to a Worker explicitly, the first would be refused.
  ['ESM import under --max-old-space-size and --input-type module', ['--max-old-space-size=256', '--input-type', 'module', '-e'], "await import('idstitch/collector')"],
])('%s: stores through the writer thread and stops', (name, flags, load) => {
  const database = join(dir, `${name.replace(/\W+/g, '-')}.db`);
  const out = execFileSync(process.execPath, [...flags, steps(load, database)], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  expect(JSON.parse(out)).toEqual({ status: 200, eventCount: 2, anonymousIds: ['a1'] });
});
