/**
 * `npm run simulate -- --journeys 1000 [--concurrency 4] [--seed 1] [--max-minutes 10]`: plays
 * generated journeys with known truth through real Chromium, the example API
 * server and the collector, then prints how many users idstitch counted
 * against the truth and two naive trackers. With --max-minutes, no journey
 * starts after that time and the ones played are measured. Exits 1 when
 * idstitch miscounts.
 */
import { parseArgs } from 'node:util';
import { formatComparison } from '../test/e2e/simulation/table.js';
import { runSimulation } from '../test/e2e/simulation/run.js';

const { values } = parseArgs({
  options: { journeys: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' },
    'max-minutes': { type: 'string' } },
});
const number = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got ${values[name]})`);
  return value;
};

const result = await runSimulation({
  journeys: number('journeys'), concurrency: number('concurrency'), seed: number('seed'),
  ...(values['max-minutes'] ? { maxMinutes: Number(values['max-minutes']) } : {}),
  log: (line) => console.log(line),
});
const { comparison: c } = result;
console.log(`\n${formatComparison(c, `${result.journeys} journeys played (seed ${values.seed}) in ${result.seconds} s; identifies delivered late: ${result.lateIdentifies}`)}`);
console.log(`journeys by kind: ${Object.entries(result.kinds).map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
for (const detail of c.details) console.log(detail);
for (const failure of result.failures) console.log(`failure: ${failure}`);
const ok = c.idstitch.users === c.truth.people && c.idstitch.falseMerges === 0 && c.idstitch.splitPeople === 0 && result.failures.length === 0;
process.exit(ok ? 0 : 1);
