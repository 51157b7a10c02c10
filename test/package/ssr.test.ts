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
  const atImport = touched.slice();
  const tracker = sdk.createTracker({ endpoint: 'https://collect.example.com/v1/batch' });
  tracker.track('Server rendered');
  tracker.identifyUser('u_1');
  Promise.resolve(tracker.flush()).then(() => {
    console.log(JSON.stringify({ atImport, anonymousId: tracker.getAnonymousId(), keys: Object.keys(sdk).sort() }));
  });`;

function probe(type: 'module' | 'commonjs', loader: string) {
  const flag = type === 'module' ? '--input-type=module' : '--input-type=commonjs';
  const out = execFileSync(process.execPath, [flag, '-e', PROBE(loader)], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { atImport: string[]; anonymousId: string | null; keys: string[] };
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
