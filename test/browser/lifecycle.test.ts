/**
 * The page lifecycle (README "Delivery: nothing lost"): a page that enters the
 * back/forward cache is not gone. Its stored queue must not be handed to the
 * next page as if it were, or both would send the same messages when it
 * comes back. Real Chromium with its back/forward cache on, the real collector
 * behind a fault proxy that counts what each send carried.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openPage } from '../support/chromium.js';
import { startLocalCollector } from '../support/collector.js';
import type { LocalCollector } from '../support/collector.js';
import { startFaultProxy } from '../support/faultProxy.js';
import type { FaultProxy } from '../support/faultProxy.js';
import { eventually } from '../support/poll.js';
import { startSite } from '../support/site.js';
import type { Site } from '../support/site.js';

let browser: Browser;
let site: Site;
let collector: LocalCollector;
let proxy: FaultProxy;

beforeAll(async () => {
  [browser, site, collector] = await Promise.all([launchChromium({ backForwardCache: true }), startSite(), startLocalCollector()]);
  proxy = await startFaultProxy(`${collector.url}/v1/batch`);
  const page = (title: string) => `<!doctype html><title>${title}</title><script src="/dist/idstitch.min.js"></script><script>
    idstitch.init(${JSON.stringify({ endpoint: proxy.endpoint, flushInterval: 50 })});
    addEventListener('pageshow', (event) => { window.restored = event.persisted; });
  </script><a id="next" href="/lifecycle/b.html">next</a>`;
  site.setPage('/lifecycle/a.html', page('A'), true);
  site.setPage('/lifecycle/b.html', page('B'), true);
});
afterAll(async () => {
  await Promise.all([browser?.close(), site?.close(), proxy?.close(), collector?.close()]);
});

const forwarded = () => proxy.posts().filter((p) => p.outcome === 'forwarded').flatMap((p) => p.messageIds);

it('a page that enters and leaves the back/forward cache while another page of its origin runs: nothing lost, nothing sent twice', async () => {
  const context = await browser.newContext();
  const errors: string[] = [];
  const { page: tab } = await openPage(context);
  tab.on('pageerror', (error) => errors.push(error.message));
  // A second tab of the same origin, open the whole time.
  const { page: other } = await openPage(context);
  await other.goto(`${site.origin()}/lifecycle/b.html`);

  await proxy.down();
  await tab.goto(`${site.origin()}/lifecycle/a.html`);
  const ids = await tab.evaluate(() => {
    for (let i = 0; i < 5; i++) window.idstitch.track('BF Probe', { scenario: 'bfcache', i });
    return window.idstitch.getAnonymousId();
  });
  await new Promise((resolve) => setTimeout(resolve, 300));

  // Away from A (into the back/forward cache), to B, whose tracker starts and looks for queues left behind.
  await Promise.all([tab.waitForURL('**/lifecycle/b.html'), tab.click('#next')]);
  await proxy.up();
  await tab.evaluate(() => window.idstitch.flush());
  await other.evaluate(() => window.idstitch.flush());
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Back to A, from the cache: the same document, its queue still in memory.
  await tab.goBack({ waitUntil: 'commit' });
  await tab.waitForFunction(() => (window as unknown as { restored?: boolean }).restored !== undefined);
  expect(await tab.evaluate(() => (window as unknown as { restored?: boolean }).restored)).toBe(true);
  await tab.evaluate(() => window.idstitch.flush());

  const rows = await eventually(async () => {
    const stored = await collector.rowsWhere('scenario', 'bfcache');
    return stored.length >= 5 ? stored : undefined;
  }, 'the five messages');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(rows.map((r) => r.body.properties.i).sort()).toEqual([0, 1, 2, 3, 4]);
  expect(new Set(rows.map((r) => r.anonymousId))).toEqual(new Set([ids]));
  const probeIds = new Set(rows.map((r) => r.messageId));
  const sends = forwarded().filter((id) => probeIds.has(id));
  // Each message reached the collector once: not from B as adopted and again from A when it came back.
  expect(sends.sort()).toEqual([...probeIds].sort());
  expect(errors).toEqual([]);
  await context.close();
});
