import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Imports the built package by its own name in a fresh Node process, with
 * trap getters on the browser globals: importing must read none of them and
 * throw nothing, and createTracker() must give an inert tracker.
 */
const PROBE = (loader: string) => `
  const touched = [];
  for (const name of ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location', 'history']) {
    Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); return undefined; } });
  }
  const sdk = ${loader};
  const ENTRY = ${loader.startsWith('require') ? "require.resolve('idstitch')" : "import.meta.resolve('idstitch')"};
  const atImport = touched.slice();
  const tracker = sdk.createTracker({ endpoint: 'https://collect.example.com/v1/batch' });
  tracker.track('Server rendered');
  tracker.identifyUser('u_1');
  Promise.resolve(tracker.flush()).then(() => {
    console.log(JSON.stringify({ atImport, anonymousId: tracker.getAnonymousId(), keys: Object.keys(sdk).sort(), entry: ENTRY }));
  });`;

/** `development`: resolved with that export condition, as Vite and webpack do in development (the build with the words of every message). */
function probe(type: 'module' | 'commonjs', loader: string, development = false) {
  const flag = type === 'module' ? '--input-type=module' : '--input-type=commonjs';
  const flags = development ? ['--conditions=development', flag] : [flag];
  const out = execFileSync(process.execPath, [...flags, '-e', PROBE(loader)], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { atImport: string[]; anonymousId: string | null; keys: string[]; entry: string };
}

it('import "idstitch" in Node (ESM) touches no browser global and gives an inert tracker', () => {
  const result = probe('module', `await import('idstitch')`);
  expect(result.atImport).toEqual([]);
  expect(result.anonymousId).toBeNull();
  expect(result.keys).toContain('createTracker');
});

it('require("idstitch") in Node (CJS) touches no browser global and gives an inert tracker', () => {
  const result = probe('commonjs', `require('idstitch')`);
  expect(result.atImport).toEqual([]);
  expect(result.anonymousId).toBeNull();
  expect(result.keys).toContain('createTracker');
});

it.each(['module', 'commonjs'] as const)('the development condition (%s) loads the development build, as safe in Node', (type) => {
  const result = probe(type, type === 'module' ? `await import('idstitch')` : `require('idstitch')`, true);
  expect(result.entry).toMatch(/dist[\\/]index\.development\.(mjs|cjs)$/);
  expect(result.atImport).toEqual([]);
  expect(result.anonymousId).toBeNull();
  expect(result.keys).toContain('createTracker');
});

it('without it, Node loads the production build', () => {
  expect(probe('module', `await import('idstitch')`).entry).toMatch(/dist[\\/]index\.mjs$/);
  expect(probe('commonjs', `require('idstitch')`).entry).toMatch(/dist[\\/]index\.cjs$/);
});
