// `npm test`: machine setup, type check, build, then every vitest suite
// (unit in jsdom; Chromium, collector, server and packaging against real
// processes). Writes .test-results/summary.json for .ci/run's closing line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

await import('./setup.mjs');

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status === 0;
const results = '.test-results';
mkdirSync(results, { recursive: true });

const checks = { typecheck: run('npx', ['tsc', '--noEmit']), build: run('npm', ['run', '--silent', 'build']) };
let passed = Object.values(checks).filter(Boolean).length;
let failed = Object.values(checks).length - passed;
for (const [name, ok] of Object.entries(checks)) if (!ok) console.error(`npm test: ${name} failed`);

if (checks.build) {
  const vitestOk = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}/vitest.json`, ...process.argv.slice(2)]);
  try {
    const report = JSON.parse(readFileSync(`${results}/vitest.json`, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests + (report.numTotalTests ? 0 : 1);
    // A file that failed to load counts as a failure even when it reported no test.
    if (!vitestOk && report.numFailedTests === 0) failed += 1;
  } catch {
    failed += 1;
  }
}
writeFileSync(`${results}/summary.json`, JSON.stringify({ passed, failed }));
console.log(`\nnpm test: ${passed} passed, ${failed} failed (type check and build count as one check each)`);
process.exit(failed ? 1 : 0);
