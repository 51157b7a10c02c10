// Bytes of every dist file, minified and gzip -9, and of the npm path: the numbers the README quotes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BUDGETS, GOALS } from '../test/support/budgets';
import { bundleNpmApp, NPM_APP_WITH } from '../test/support/npmApp';

const dist = new URL('../dist/', import.meta.url);
const rows = readdirSync(dist)
  .filter((file) => /\.(m?js|cjs)$/.test(file) && statSync(new URL(file, dist)).isFile())
  .map((file) => {
    const bytes = readFileSync(new URL(file, dist));
    return { file: `dist/${file}`, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
const app = await bundleNpmApp();
rows.push({ file: 'npm path (test/support/npmApp.ts)', bytes: app.length, gzip: gzipSync(app, { level: 9 }).length });
console.table(rows);
const gzipOf = (file: string) => rows.find((row) => row.file === file)?.gzip;
console.log(`npm path: ${gzipOf('npm path (test/support/npmApp.ts)')} B gzip (CI ceiling ${BUDGETS.npmApp} B, goal ${GOALS.npmApp} B)`);
console.log(`script-tag build: ${gzipOf('dist/idstitch.min.js')} B gzip (CI ceiling ${BUDGETS['idstitch.min.js']} B, goal ${GOALS['idstitch.min.js']} B)`);
console.log(`snippet: ${gzipOf('dist/snippet.min.js')} B gzip (budget ${BUDGETS['snippet.min.js']} B)`);
const development = gzipSync(await bundleNpmApp(undefined, true), { level: 9 }).length;
console.log(`npm path with the development condition: ${development} B gzip (the words of the messages: +${development - gzipOf('npm path (test/support/npmApp.ts)')!} B)`);
// What each opt-in feature adds to an npm app that imports it (tree-shaken out of one that does not).
for (const [feature, source] of Object.entries(NPM_APP_WITH)) {
  const bytes = gzipSync(await bundleNpmApp(source), { level: 9 }).length;
  console.log(`npm path with ${feature}: ${bytes} B gzip (+${bytes - gzipOf('npm path (test/support/npmApp.ts)')!} B)`);
}
