import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

/** Byte budgets of the script-tag build and snippet (gzip -9), checked on every CI run. */
const BUDGETS = { 'idstitch.min.js': 6 * 1024, 'snippet.min.js': 512 };

for (const [file, budget] of Object.entries(BUDGETS)) {
  it(`dist/${file} stays within ${budget} bytes gzip`, () => {
    const bytes = gzipSync(readFileSync(new URL(`../../dist/${file}`, import.meta.url)), { level: 9 }).length;
    console.log(`dist/${file}: ${bytes} B gzip (budget ${budget} B)`);
    expect(bytes).toBeLessThanOrEqual(budget);
  });
}
