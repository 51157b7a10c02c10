/**
 * The whole simulation: the `npm start` stack on free ports and a temporary
 * store, one Chromium with many contexts, `concurrency` journeys at a time,
 * then the comparison with the truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../../../examples/stack.js';
import { launchChromium } from '../../support/chromium.js';
import { getJson } from '../poll.js';
import { runJourney } from './driver.js';
import { generateJourneys, type Journey, type JourneyKind } from './journeys.js';
import { measure, type Comparison } from './measure.js';
import { seededRandom } from './random.js';
import { Truth } from './truth.js';

export interface SimulationOptions {
  journeys: number;
  /** Journeys played at once, each in its own browser contexts. @default 4 */
  concurrency?: number;
  /** @default 1 */
  seed?: number;
  /** Flush interval of the pages' trackers and the API's client, in ms. @default 100 */
  flushInterval?: number;
  /** Stop starting journeys after this many minutes; those played are measured. @default no limit */
  maxMinutes?: number;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

export interface SimulationResult {
  comparison: Comparison;
  /** Journeys played (fewer than asked when `maxMinutes` ran out). */
  journeys: number;
  kinds: Record<string, number>;
  lateIdentifies: number;
  /** Journeys that threw (a page that did not load, ...): their truth is incomplete. */
  failures: string[];
  seconds: number;
}

/** Polls the stats until the event count has not moved for `quietMs`: everything sent has been stored. */
async function settle(collectorUrl: string, quietMs = 600): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const { body } = await getJson(collectorUrl, '/v1/stats');
    if (body.events !== last) [last, since] = [body.events, Date.now()];
    else if (Date.now() - since >= quietMs) return;
  }
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-simulation-'));
  const errors: string[] = [];
  const stack = await startStack({
    collectorPort: 0, examplesPort: 0, database: join(dir, 'store.db'), flushInterval: options.flushInterval ?? 100,
    onError: (error) => void errors.push(`API client: ${error.message}`),
  });
  const browser = await launchChromium();
  try {
    const journeys = generateJourneys(options.journeys, seededRandom(options.seed ?? 1));
    const truth = new Truth();
    const collectorUrl = stack.urls.dashboard.replace(/\/$/, '');
    const hosts = { a: 'a.example.test', b: 'b.example.test', x: 'docs.vendor.test' };
    const setup = { browser, truth, endpoint: stack.urls.ingest, origin: (host: keyof typeof hosts) => `http://${hosts[host]}:${stack.examples.port}` };
    const failures: string[] = [];
    let lateIdentifies = 0;
    let done = 0;
    const queue = [...journeys];
    const played: Journey[] = [];
    const deadline = options.maxMinutes ? started + options.maxMinutes * 60_000 : Infinity;
    const worker = async () => {
      for (let journey: Journey | undefined; Date.now() < deadline && (journey = queue.shift()); ) {
        played.push(journey);
        try {
          // Awaited first: `x += await ...` would read x before the wait and lose the other workers' counts.
          const outcome = await runJourney(journey, setup);
          lateIdentifies += outcome.lateIdentifies;
        } catch (error) {
          failures.push(`journey ${journey.id} (${journey.kind}): ${(error as Error).message.split('\n')[0]}`);
        }
        if (++done % 50 === 0) log(`${done}/${journeys.length} journeys, ${Math.round((Date.now() - started) / 1000)} s`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
    await stack.examples.client.flush();
    await settle(collectorUrl);
    const comparison = await measure(truth, collectorUrl, stack.collector.store.reader);
    const kinds: Partial<Record<JourneyKind, number>> = {};
    for (const j of played) kinds[j.kind] = (kinds[j.kind] ?? 0) + 1;
    return { comparison, journeys: played.length, kinds, lateIdentifies, failures: [...failures, ...errors], seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    await browser.close();
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
