/**
 * The loss table (README "Delivery: nothing lost"): each scenario tracks a known set of
 * messages from the real script-tag build in a real Chromium, through a
 * fault proxy, to the real collector; the test then reads the collector's
 * store and counts what arrived, what was lost and what was stored twice.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../support/chromium.js';
import { startLocalCollector } from '../support/collector.js';
import type { LocalCollector, StoredRow } from '../support/collector.js';
import { startFaultProxy } from '../support/faultProxy.js';
import type { FaultProxy } from '../support/faultProxy.js';
import { startSite } from '../support/site.js';
import type { Site } from '../support/site.js';

let browser: Browser;
let site: Site;
let collector: LocalCollector;
const table: Tally[] = [];

beforeAll(async () => {
  [browser, site, collector] = await Promise.all([launchChromium(), startSite(), startLocalCollector()]);
});
afterAll(async () => {
  if (table.length) console.log(formatTable(table));
  await Promise.all([browser?.close(), site?.close(), collector?.close()]);
});

interface Tally {
  scenario: string;
  sent: number;
  delivered: number;
  lost: number;
  /** Stored rows beyond one per sent message: a message stored twice, under one messageId or two. */
  duplicates: number;
  /** Copies the collector received and dropped by messageId (retries, beacons): informative, not a failure. */
  resent: number;
}

function formatTable(rows: Tally[]): string {
  const head = ['scenario', 'sent', 'delivered', 'lost', 'duplicates', 'resent (deduped)'];
  const cells = rows.map((r) => [r.scenario, r.sent, r.delivered, r.lost, r.duplicates, r.resent].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ');
  return ['', line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line), ''].join('\n');
}

/** Every scenario's messages: `track('Loss Probe', { scenario, i, ...extra })`, i from 0. */
const EVENT = 'Loss Probe';

/** The script-tag build, initialised against `endpoint`. */
function pageHtml(endpoint: string, options: Record<string, unknown> = {}): string {
  return `<!doctype html><title>Loss</title><script src="/dist/idstitch.min.js"></script>
    <script>idstitch.init(${JSON.stringify({ endpoint, flushInterval: 100, ...options })});</script>`;
}

let pages = 0;
async function openSitePage(context: BrowserContext, html: string): Promise<{ page: Page; errors: string[] }> {
  const path = `/loss-${++pages}.html`;
  site.setPage(path, html);
  const opened = await openPage(context);
  await opened.page.goto(site.origin() + path);
  return opened;
}

/** Tracks messages `from`..`to - 1` of `scenario` in the page, each call in the same task. */
function track(page: Page, scenario: string, from: number, to: number, extra: Record<string, unknown> = {}): Promise<void> {
  return page.evaluate(
    ({ event, scenario, from, to, extra }) => {
      for (let i = from; i < to; i++) (window as any).idstitch.track(event, { scenario, i, ...extra });
    },
    { event: EVENT, scenario, from, to, extra },
  );
}

/** Counts the scenario's stored rows against the `sent` messages (i = 0..sent-1). */
async function tally(scenario: string, sent: number, proxy: FaultProxy): Promise<{ tally: Tally; rows: StoredRow[] }> {
  const rows = await collector.rowsWhere('scenario', scenario);
  const delivered = new Set(rows.map((r) => r.body.properties.i as number).filter((i) => Number.isInteger(i) && i >= 0 && i < sent)).size;
  const ids = new Set(rows.map((r) => r.messageId));
  const copies = proxy.posts().filter((p) => p.outcome === 'forwarded').flatMap((p) => p.messageIds).filter((id) => ids.has(id)).length;
  return { tally: { scenario, sent, delivered, lost: sent - delivered, duplicates: rows.length - delivered, resent: copies - ids.size }, rows };
}

/** Polls the store until every message of the scenario is there, or `timeoutMs` passed; records the row of the table. */
async function settle(scenario: string, sent: number, proxy: FaultProxy, timeoutMs = 20_000): Promise<{ tally: Tally; rows: StoredRow[] }> {
  const deadline = Date.now() + timeoutMs;
  let result = await tally(scenario, sent, proxy);
  while (result.tally.delivered < sent && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    result = await tally(scenario, sent, proxy);
  }
  // A late copy would show up as a duplicate: give the stragglers (beacons, retries) a moment.
  await new Promise((resolve) => setTimeout(resolve, 500));
  result = await tally(scenario, sent, proxy);
  table.push(result.tally);
  return result;
}

function expectAllDelivered({ tally: t }: { tally: Tally }): void {
  expect({ delivered: t.delivered, lost: t.lost, duplicates: t.duplicates }).toEqual({ delivered: t.sent, lost: 0, duplicates: 0 });
}

/** A new proxy and context for one scenario; both closed afterwards. */
async function withScenario<T>(run: (proxy: FaultProxy, context: BrowserContext) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(collector.url);
  const context = await browser.newContext();
  try {
    return await run(proxy, context);
  } finally {
    await context.close();
    await proxy.close();
  }
}

describe('loss table: every message delivered, none stored twice', () => {
  it('1. reload while a send is in flight', async () => {
    await withScenario(async (proxy, context) => {
      // The first POST is held 3 s; the page reloads meanwhile, so that request is lost with the page.
      proxy.holdNext(1, 3000);
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      await track(page, 's1', 0, 10);
      await expect.poll(() => proxy.posts().length, { timeout: 5000 }).toBeGreaterThan(0);
      // The page-hide beacons fail too (pagehide and visibilitychange each send one): only the
      // queue persisted in localStorage, taken over by the reloaded page, can deliver these.
      proxy.failNext(2, 503);
      await page.reload();
      await track(page, 's1', 10, 15);
      const result = await settle('s1', 15, proxy);
      expectAllDelivered(result);
      await expect.poll(() => proxy.posts()[0]?.outcome, { timeout: 5000 }).toBe('dropped');
      // The page-hide beacon carried the same ten and failed.
      const [inFlight, beacon] = proxy.posts();
      expect([beacon?.outcome, beacon?.messageIds]).toEqual(['fault', inFlight!.messageIds]);
      expect(errors).toEqual([]);
    });
  });

  it('2. offline for 60 s, tracking while offline, then online', { timeout: 120_000 }, async () => {
    await withScenario(async (proxy, context) => {
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      await context.setOffline(true);
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      await track(page, 's2', 0, 10);
      await page.waitForTimeout(30_000);
      await track(page, 's2', 10, 20);
      await page.waitForTimeout(30_000);
      await track(page, 's2', 20, 30);
      const postsWhileOffline = proxy.posts().length;
      await context.setOffline(false);
      const result = await settle('s2', 30, proxy);
      expectAllDelivered(result);
      expect(postsWhileOffline).toBe(0);
      expect(errors).toEqual([]);
    });
  });

  it('3. the collector answers 500 three times, then 200', async () => {
    await withScenario(async (proxy, context) => {
      proxy.failNext(3, 500);
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      await track(page, 's3', 0, 10);
      const result = await settle('s3', 10, proxy, 30_000);
      expectAllDelivered(result);
      expect(proxy.posts().slice(0, 4).map((p) => p.status)).toEqual([500, 500, 500, 200]);
      expect(errors).toEqual([]);
    });
  });

  it('4. 429 with Retry-After: 2, the retry waits for it', async () => {
    await withScenario(async (proxy, context) => {
      proxy.failNext(1, 429, { 'retry-after': '2' });
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      await track(page, 's4', 0, 10);
      const result = await settle('s4', 10, proxy);
      expectAllDelivered(result);
      const [throttled, retry] = proxy.posts();
      expect([throttled?.status, retry?.status]).toEqual([429, 200]);
      // The SDK's own first backoff is 0.5 to 1 s: only a Retry-After it could read makes this ≥ 2 s.
      expect(retry!.at - throttled!.at).toBeGreaterThanOrEqual(1900);
      expect(errors).toEqual([]);
    });
  });

  it('5. track() and the tab closes at once: the beacon delivers', async () => {
    await withScenario(async (proxy, context) => {
      // No timer can send before the close: only the page-hide beacon can deliver.
      const { page } = await openSitePage(context, pageHtml(proxy.endpoint, { flushInterval: 60_000 }));
      await track(page, 's5', 0, 10);
      await page.close({ runBeforeUnload: false });
      const result = await settle('s5', 10, proxy);
      expectAllDelivered(result);
    });
  });

  it('6. two tabs tracking concurrently, one resets: all delivered, the other tab follows the reset with its next message', async () => {
    await withScenario(async (proxy, context) => {
      const a = await openSitePage(context, pageHtml(proxy.endpoint));
      const b = await openSitePage(context, pageHtml(proxy.endpoint));
      const before = await a.page.evaluate(() => (window as any).idstitch.getAnonymousId() as string);
      expect(await b.page.evaluate(() => (window as any).idstitch.getAnonymousId() as string)).toBe(before);
      // Interleaved: each tab tracks one message per task, the two at once.
      const burst = (page: Page, from: number, phase: string) =>
        page.evaluate(
          async ({ event, from, phase }) => {
            for (let i = from; i < from + 20; i++) {
              (window as any).idstitch.track(event, { scenario: 's6', i, phase });
              await new Promise((resolve) => setTimeout(resolve, 3));
            }
          },
          { event: EVENT, from, phase },
        );
      await Promise.all([burst(a.page, 0, 'before'), burst(b.page, 20, 'before')]);
      const after = await a.page.evaluate(() => {
        (window as any).idstitch.reset();
        return (window as any).idstitch.getAnonymousId() as string;
      });
      // Chromium hands a tab's storage and cookie writes to its other tabs (other
      // processes) a moment later. Once they are there, the other tab's very
      // next message carries the new id: it reads the stores before each message.
      await b.page.waitForFunction((id) => document.cookie.includes(id) && Object.values(localStorage).includes(id), after);
      await track(b.page, 's6', 40, 41, { phase: 'after' });
      await Promise.all([burst(a.page, 41, 'after'), burst(b.page, 61, 'after')]);
      const result = await settle('s6', 81, proxy);
      expectAllDelivered(result);
      expect(after).not.toBe(before);
      const label = (id: string | null) => (id === before ? 'before' : id === after ? 'after' : `another id (${id})`);
      for (const row of result.rows) expect([row.body.properties.i, label(row.anonymousId)]).toEqual([row.body.properties.i, row.body.properties.phase]);
      expect([...a.errors, ...b.errors]).toEqual([]);
    });
  });

  it('7. localStorage throws on every call: delivered from memory, no page error', async () => {
    await withScenario(async (proxy, context) => {
      await context.addInitScript(() => {
        const blocked = () => {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        };
        for (const name of ['getItem', 'setItem', 'removeItem', 'key', 'clear'] as const) (Storage.prototype as any)[name] = blocked;
        Object.defineProperty(Storage.prototype, 'length', { get: blocked });
      });
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      expect(await page.evaluate(() => { try { localStorage.setItem('x', 'y'); return 'stored'; } catch { return 'threw'; } })).toBe('threw');
      await track(page, 's7', 0, 30);
      const result = await settle('s7', 30, proxy);
      expectAllDelivered(result);
      expect(errors).toEqual([]);
    });
  });

  it('8. localStorage full (filled to quota): delivered, no page error', async () => {
    await withScenario(async (proxy, context) => {
      await context.addInitScript(() => {
        if (localStorage.getItem('filler-done')) return;
        // Fill to the byte, then free ~1 KB: the ids still fit, the queue mirror does not.
        localStorage.setItem('filler-done', '1');
        let n = 0;
        for (let size = 1 << 20; size >= 1; ) {
          try {
            localStorage.setItem(`filler-${size}-${n++}`, 'x'.repeat(size));
          } catch {
            size >>= 1;
          }
        }
        for (let i = 0; i < n; i++) if (localStorage.getItem(`filler-1024-${i}`) !== null) localStorage.removeItem(`filler-1024-${i}`);
      });
      const { page, errors } = await openSitePage(context, pageHtml(proxy.endpoint));
      const fits = await page.evaluate(() => {
        try {
          localStorage.setItem('probe', 'x'.repeat(4096));
          return true;
        } catch (error) {
          return (error as DOMException).name;
        }
      });
      expect(fits).toBe('QuotaExceededError');
      // The small ids still found room: the tracker uses localStorage, only its queue mirror is refused.
      expect(await page.evaluate(() => localStorage.getItem('idstitch_aid'))).toMatch(/^[0-9a-f-]{36}$/);
      await track(page, 's8', 0, 30);
      const result = await settle('s8', 30, proxy);
      expectAllDelivered(result);
      expect(errors).toEqual([]);
    });
  });

  it('9. the collector is down for the whole page life; a later visit delivers the persisted queue', async () => {
    await withScenario(async (proxy, context) => {
      await proxy.down();
      const first = await openSitePage(context, pageHtml(proxy.endpoint));
      await track(first.page, 's9', 0, 25);
      // A few failed attempts (backoff 0.5–1 s, then 1–2 s).
      await first.page.waitForTimeout(3000);
      await first.page.close();
      expect((await tally('s9', 25, proxy)).tally.delivered).toBe(0);
      await proxy.up();
      const second = await openSitePage(context, pageHtml(proxy.endpoint));
      await track(second.page, 's9', 25, 30);
      const result = await settle('s9', 30, proxy);
      expectAllDelivered(result);
      expect([...first.errors, ...second.errors]).toEqual([]);
    });
  });
});
