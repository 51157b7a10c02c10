/**
 * Browser SDK benchmark (not a test): `node --import tsx bench/sdk.ts [--rounds N]`
 * Run `npm run build` first: it measures `dist/idstitch.min.js`.
 *
 * 1. `track()` main-thread cost in real Chromium, per call (performance.now()
 *    around each call; the page is cross-origin isolated, so the clock is
 *    coarsened to 5 µs instead of 100 µs), median and p99 over 1,000 calls
 *    after 200 warm-up calls; and the total of the 1,000 calls including the
 *    work they defer (storage write, batching): the loop plus one
 *    `setTimeout(0)`. Side by side with Segment's analytics-next loaded from
 *    its own UMD build with inline CDN settings (no settings fetch, no remote
 *    metrics), once with its Segment.io destination off (no network at all)
 *    and once pointed at the same loopback endpoint as ours. Goal: ours
 *    ≤ 1/50 of theirs per call.
 *    Two modes: one call per task (a MessageChannel hop between calls, so
 *    each call's deferred work runs before the next, as on a real page) and
 *    1,000 calls in one task (burst). An empty function calibrates the
 *    harness's own cost.
 * 2. Heap after 10,000 and 20,000 `track()` calls while offline (CDP
 *    `HeapProfiler.collectGarbage` + `Runtime.getHeapUsage`), and the queue
 *    bound: the stored queue holds MAX_QUEUED (1,000) messages, the rest are
 *    reported lost through `onError`; then the cost of a call with the queue
 *    full (each task rewrites the whole localStorage mirror).
 * 3. The script-tag build's size, gzip -9.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { MAX_QUEUED } from '../src/browser/queue.js';
import { launchChromium } from '../test/support/chromium.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(flags.rounds);
const CALLS = 1000;
const WARMUP = 200;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** URL prefix → folder of the repo. */
const STATIC: Record<string, string> = { '/dist/': 'dist/', '/segment/': 'node_modules/@segment/analytics-next/dist/umd/' };
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html' };
// Cross-origin isolation: performance.now() at 5 µs instead of 100 µs (https://developer.chrome.com/blog/cross-origin-isolated-hr-timers).
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cache-control': 'no-store' };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The page origin: the built SDK, analytics-next's UMD build, and a blank isolated page. */
async function startStatic(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/bench.html') return void res.writeHead(200, { ...ISOLATED, 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
    const prefix = Object.keys(STATIC).find((p) => path.startsWith(p));
    if (!prefix) return void res.writeHead(404).end();
    const file = join(ROOT, STATIC[prefix]!, normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, ''));
    readFile(file).then(
      (body) => res.writeHead(200, { ...ISOLATED, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return { origin: `http://127.0.0.1:${await listen(server)}`, server };
}

/** A loopback batch endpoint that answers 200 to anything (both SDKs send here). */
async function startSink(): Promise<{ host: string; server: Server; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST', 'access-control-allow-credentials': 'true' };
    req.resume().on('end', () => {
      if (req.method === 'POST') requests++;
      res.writeHead(req.method === 'OPTIONS' ? 204 : 200, { ...cors, 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  // A different port is a different origin: the sends are real cross-origin requests, as in production.
  return { host: `localhost:${await listen(server)}`, server, requests: () => requests };
}

interface Timing {
  /** Per-call µs. */
  calls: number[];
  /** µs for the whole loop plus one setTimeout(0), per call. */
  totalPerCall: number;
}

/**
 * Runs in the page: warm-up, then CALLS timed calls of `window.__track`.
 * `burst`: all in one task (deferred work piles up until the end); otherwise
 * one call per task (a MessageChannel hop between calls, no timer clamping),
 * so each call's deferred work has run before the next, as on a real page.
 */
function measureInPage({ calls, warmup, burst }: { calls: number; warmup: number; burst: boolean }): Promise<{ calls: number[]; total: number }> {
  const track = (window as any).__track as (i: number) => void;
  // No named inner functions here: tsx would wrap them in a helper the page does not have.
  const channel = new MessageChannel();
  for (let i = 0; i < warmup; i++) track(i);
  return new Promise((resolve) =>
    setTimeout(async () => {
      const times = new Float64Array(calls);
      const start = performance.now();
      for (let i = 0; i < calls; i++) {
        if (!burst) await new Promise((resolve) => ((channel.port1.onmessage = resolve), channel.port2.postMessage(0)));
        const before = performance.now();
        track(i);
        times[i] = performance.now() - before;
      }
      setTimeout(() => resolve({ calls: Array.from(times, (ms) => ms * 1000), total: (performance.now() - start) * 1000 }));
    }, 300),
  );
}

type Setup = (page: Page, origin: string, sinkHost: string) => Promise<void>;

const PROPERTIES = "{ plan: 'pro', price: 49.5, currency: 'EUR', path: '/pricing', i }";

/** Calibration: an empty function, so the harness's own cost per call (the clock, the hop) can be read off. */
const empty: Setup = async (page) => {
  await page.evaluate(() => ((window as any).__track = () => {}));
};

const ours: Setup = async (page, _origin, sinkHost) => {
  await page.addScriptTag({ url: '/dist/idstitch.min.js' });
  await page.evaluate(`idstitch.init({ endpoint: 'http://${sinkHost}/v1/batch' });
    window.__track = (i) => idstitch.track('Plan Selected', ${PROPERTIES});`);
};

/** analytics-next with inline CDN settings; `segmentio`: its Segment.io destination's init options, or false for none. */
const segment =
  (segmentio: false | 'loopback'): Setup =>
  async (page, _origin, sinkHost) => {
    await page.addScriptTag({ url: '/segment/index.js' });
    const integrations = segmentio === false ? { 'Segment.io': false } : { 'Segment.io': { apiHost: `${sinkHost}/v1`, protocol: 'http' } };
    const cdnSettings = { integrations: segmentio === false ? {} : { 'Segment.io': { apiKey: 'x' } }, metrics: { sampleRate: 0 } };
    await page.evaluate(`(async () => {
      const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({ writeKey: 'x', cdnSettings: ${JSON.stringify(cdnSettings)} }, { integrations: ${JSON.stringify(integrations)} });
      window.__track = (i) => analytics.track('Plan Selected', ${PROPERTIES});
    })()`);
  };

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (values: number[]) => pct([...values].sort((a, b) => a - b), 50);

async function timeSdk(browser: Browser, origin: string, sinkHost: string, setup: Setup, burst: boolean, outside: string[]): Promise<Timing> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') outside.push(request.url());
  });
  await page.goto(`${origin}/bench.html`);
  if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('bench page is not cross-origin isolated: the clock would be coarse');
  await setup(page, origin, sinkHost);
  const { calls, total } = await page.evaluate(measureInPage, { calls: CALLS, warmup: WARMUP, burst });
  await context.close();
  return { calls, totalPerCall: total / CALLS };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

async function callCost(browser: Browser, origin: string, sink: Awaited<ReturnType<typeof startSink>>, burst: boolean): Promise<void> {
  const sdks: [string, Setup][] = [
    ['idstitch (script tag)', ours],
    ['(empty function: harness cost)', empty],
    ['analytics-next, Segment.io off', segment(false)],
    ['analytics-next → loopback', segment('loopback')],
  ];
  const results = new Map<string, Timing[]>(sdks.map(([name]) => [name, []]));
  const outside: string[] = [];
  const postsBefore = sink.requests();
  // Interleaved rounds, each SDK in a fresh context: no SDK always runs on a colder or hotter browser.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, setup] of sdks) results.get(name)!.push(await timeSdk(browser, origin, sink.host, setup, burst, outside));
  }
  const rows = sdks.map(([name]) => {
    const runs = results.get(name)!;
    const all = runs.flatMap((r) => r.calls).sort((a, b) => a - b);
    return { sdk: name, median: pct(all, 50), p99: pct(all, 99), max: all[all.length - 1]!, total: median(runs.map((r) => r.totalPerCall)) };
  });
  console.log(
    `\ntrack() per call, ${burst ? '1,000 calls in ONE task (burst)' : 'one call per task (a MessageChannel hop between calls)'}; ` +
      `${ROUNDS} rounds × ${CALLS} calls after ${WARMUP} warm-up; µs; clock resolution 5 µs` +
      `${burst ? '' : '; "total" includes the hops'}:`,
  );
  console.table(rows.map((r) => ({ sdk: r.sdk, 'median µs': round2(r.median), 'p99 µs': round2(r.p99), 'max µs': round2(r.max), 'total µs/call incl. deferred work': round2(r.total) })));
  const own = rows[0];
  for (const other of rows.slice(2)) {
    console.log(
      `  ours vs ${other.sdk}: median 1/${round2(other.median / own!.median)}, p99 1/${round2(other.p99 / own!.p99)}, ` +
        `total incl. deferred work 1/${round2(other.total / own!.total)}  (goal: 1/50 or better)`,
    );
  }
  console.log(`  loopback sink got ${sink.requests() - postsBefore} POSTs; requests outside loopback: ${outside.length ? outside.join(', ') : 'none'}`);
}

async function heap(browser: Browser, origin: string, sinkHostName: string): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await page.goto(`${origin}/bench.html`);
  await page.addScriptTag({ url: '/dist/idstitch.min.js' });
  await page.evaluate(`window.__lost = 0;
    idstitch.init({ endpoint: 'http://${sinkHostName}/v1/batch', onError: (e) => { const n = /queue full: (\\d+)/.exec(e.message); if (n) window.__lost += Number(n[1]); } });`);
  await context.setOffline(true);
  const used = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  /** Tracks `n` messages in tasks of 1,000 calls (the queue's storage mirror is written at most once a second). */
  const trackOffline = (n: number) =>
    page.evaluate(async (n) => {
      for (let i = 0; i < n; i++) {
        (window as any).idstitch.track('Plan Selected', { plan: 'pro', price: 49.5, currency: 'EUR', path: '/pricing', i });
        if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve));
    }, n);
  const stored = () =>
    page.evaluate(async () => {
      // Let the coalesced mirror write (at most one a second, SAVE_EVERY_MS in src/browser/queue.ts) happen.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      let messages = 0;
      let chars = 0;
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if (!key.includes('_q_')) continue;
        const value = localStorage.getItem(key)!;
        messages += (JSON.parse(value) as { q: unknown[] }).q.length;
        chars += value.length;
      }
      return { messages, chars, lost: (window as any).__lost as number, onLine: navigator.onLine };
    });

  const before = await used();
  await trackOffline(10_000);
  const after10k = await used();
  const at10k = await stored();
  await trackOffline(10_000);
  const after20k = await used();
  const at20k = await stored();
  // With the queue at its bound the mirror is the whole 1,000-message queue; it is rewritten at most once a
  // second, so 200 calls over ~1.1 s include one full write, amortised over them.
  const fullQueueCost = await page.evaluate(async () => {
    const channel = new MessageChannel();
    const start = performance.now();
    for (let i = 0; i < 200; i++) {
      await new Promise((resolve) => ((channel.port1.onmessage = resolve), channel.port2.postMessage(0)));
      (window as any).idstitch.track('Plan Selected', { plan: 'pro', price: 49.5, currency: 'EUR', path: '/pricing', i });
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    return ((performance.now() - start - 1100) * 1000) / 200;
  });
  await context.close();

  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(`\nheap while offline (navigator.onLine ${at10k.onLine}), after a forced GC:`);
  console.log(`  before: ${kb(before)}   after 10,000 track(): ${kb(after10k)} (+${kb(after10k - before)})   after 20,000: ${kb(after20k)} (+${kb(after20k - after10k)} for the second 10,000)`);
  console.log(`  stored queue after 10,000: ${at10k.messages} messages (${kb(at10k.chars)} of localStorage), reported lost: ${at10k.lost}`);
  console.log(`  stored queue after 20,000: ${at20k.messages} messages, reported lost: ${at20k.lost}`);
  const bounded = at10k.messages === MAX_QUEUED && at10k.lost === 10_000 - MAX_QUEUED && at20k.messages === MAX_QUEUED && at20k.lost === 20_000 - MAX_QUEUED;
  console.log(`  offline with a full queue, one track() per task: ${fullQueueCost.toFixed(0)} µs per call incl. one full mirror write amortised over 200 calls (harness hop included)`);
  console.log(`  queue bound (MAX_QUEUED = ${MAX_QUEUED}): ${bounded ? 'holds' : 'BROKEN'}`);
  if (!bounded) process.exitCode = 1;
}

function size(): void {
  const file = new URL('../dist/idstitch.min.js', import.meta.url);
  const bytes = readFileSync(file);
  let cli = '';
  try {
    // gzip(1) stores the file name in its header: the figure `gzip -9c dist/idstitch.min.js | wc -c` gives.
    cli = `, gzip -9c: ${execFileSync('gzip', ['-9c', fileURLToPath(file)]).length} B`;
  } catch {
    // No gzip binary: the zlib figure alone.
  }
  console.log(`\ndist/idstitch.min.js: ${bytes.length} B, zlib level 9: ${gzipSync(bytes, { level: 9 }).length} B${cli} (budget 6144 B)`);
}

const browser = await launchChromium();
const [site, sink] = await Promise.all([startStatic(), startSink()]);
try {
  // The numbers are only as quiet as the machine: say how busy it was.
  console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
  size();
  await callCost(browser, site.origin, sink, false);
  await callCost(browser, site.origin, sink, true);
  await heap(browser, site.origin, sink.host);
} finally {
  await browser.close();
  site.server.close();
  sink.server.close();
}
