import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { BUDGETS } from '../support/budgets';
import { bundleNpmApp, NPM_APP_WITH, npmAppGzipBytes } from '../support/npmApp';

// Checked on every CI run against the built dist (test/support/budgets.ts says what each budget covers).

const gzipBytes = (file: string) => gzipSync(readFileSync(new URL(`../../dist/${file}`, import.meta.url)), { level: 9 }).length;

it(`the npm path (an app bundled with esbuild from dist/index.mjs) stays within ${BUDGETS.npmApp} bytes gzip`, async () => {
  const bytes = await npmAppGzipBytes();
  console.log(`npm path: ${bytes} B gzip (budget ${BUDGETS.npmApp} B)`);
  expect(bytes).toBeLessThanOrEqual(BUDGETS.npmApp);
});

it('the opt-in features are tree-shaken out of an npm app that does not import them, and in one that does', async () => {
  const text = async (source?: string) => new TextDecoder().decode(await bundleNpmApp(source));
  const plain = await text();
  // The linker's parameter and autoPage's History API wrapping.
  expect(plain).not.toContain('_idl');
  expect(plain).not.toContain('pushState');
  expect(await text(NPM_APP_WITH.linker)).toContain('_idl');
  expect(await text(NPM_APP_WITH.autoPage)).toContain('pushState');
});

for (const file of ['idstitch.min.js', 'snippet.min.js'] as const) {
  it(`dist/${file} stays within ${BUDGETS[file]} bytes gzip`, () => {
    const bytes = gzipBytes(file);
    console.log(`dist/${file}: ${bytes} B gzip (budget ${BUDGETS[file]} B)`);
    expect(bytes).toBeLessThanOrEqual(BUDGETS[file]);
  });
}
