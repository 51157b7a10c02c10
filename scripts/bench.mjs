// `npm run bench`: sizes, SDK cost, collector and server throughput. Each
// bench/*.ts runs in its own process, one after another, so they never
// compete for the two cores. Pass names to run a subset: `npm run bench -- sizes collector`;
// everything from the first flag on goes to each bench run: `npm run bench -- collector --only queries`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

// Names first, then flags, which go to every bench run: `npm run bench -- collector --only queries --events 1000000`.
const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith('--'));
const wanted = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const benches = readdirSync(new URL('../bench/', import.meta.url))
  .filter((file) => /^[a-z][\w-]*\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => !wanted.length || wanted.includes(name))
  .sort((a, b) => (a === 'sizes' ? -1 : b === 'sizes' ? 1 : a.localeCompare(b)));

if (spawnSync("npm", ["run", "--silent", "build"], { stdio: "inherit" }).status !== 0) process.exit(1);
let failed = 0;
for (const name of benches) {
  console.log(`\n=== bench/${name}.ts`);
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...flags], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
