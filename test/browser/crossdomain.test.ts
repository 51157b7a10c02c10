/**
 * One visitor across two registrable domains (README "Cross-domain linking"):
 * docs on `docs.example.test`, the app on `app.vendor.test`, both mapped to
 * loopback, the real script-tag build in Chromium and the real collector.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/messages.js';
import { launchChromium, openPage } from '../support/chromium.js';
import type { Browser } from 'playwright-core';
import { startLocalCollector } from '../support/collector.js';
import type { LocalCollector } from '../support/collector.js';
import { eventually } from '../support/poll.js';
import { startSite } from '../support/site.js';
import type { Site } from '../support/site.js';

let browser: Browser;
let site: Site;
let collector: LocalCollector;
let context: BrowserContext;
let errors: string[];

const DOCS = 'docs.example.test';
const APP = 'app.vendor.test';

beforeAll(async () => {
  [browser, site, collector] = await Promise.all([launchChromium(), startSite(), startLocalCollector()]);
  const init = (linkDomains: string[]) => JSON.stringify({ endpoint: `${collector.url}/v1/batch`, flushInterval: 20, linkDomains, autoPage: true });
  const app = site.origin(APP);
  site.setPage(
    '/docs/guide.html',
    `<!doctype html><title>Guide</title><script src="/dist/idstitch.min.js"></script><script>idstitch.init(${init(['vendor.test'])});</script>
     <a id="signup" href="${app}/signup.html?plan=team#form">Sign up</a>
     <a id="local" href="/docs/next.html">Next</a>
     <form id="search" method="get" action="${app}/signup.html"><input name="q" value="webhooks"><button id="go">Go</button></form>`,
  );
  site.setPage('/docs/next.html', `<!doctype html><title>Next</title><script src="/dist/idstitch.min.js"></script><script>idstitch.init(${init(['vendor.test'])});</script>`);
  site.setPage(
    '/signup.html',
    `<!doctype html><title>Sign up</title><script src="/dist/idstitch.min.js"></script><script>idstitch.init(${init(['example.test'])});</script>`,
  );
});
afterAll(async () => {
  await Promise.all([browser?.close(), site?.close(), collector?.close()]);
});
beforeEach(async () => {
  context = await browser.newContext();
  errors = [];
});
afterEach(async () => {
  await context.close();
  expect(errors).toEqual([]);
});

async function open(url: string, on = context): Promise<Page> {
  const opened = await openPage(on);
  opened.page.on('pageerror', (error) => errors.push(error.message));
  await opened.page.goto(url);
  return opened.page;
}

const anonymousId = (p: Page) => p.evaluate(() => window.idstitch.getAnonymousId());
const userId = (p: Page) => p.evaluate(() => window.idstitch.getUserId());
const flush = (p: Page) => p.evaluate(() => window.idstitch.flush());
const api = async <T>(path: string): Promise<T> => (await fetch(`${collector.url}${path}`)).json() as Promise<T>;

/** The `_idl` link a docs visitor makes by pressing the sign-up link (without following it). */
async function linkFromDocs(docs: Page): Promise<string> {
  await docs.dispatchEvent('#signup', 'mousedown');
  return docs.evaluate(() => (document.getElementById('signup') as HTMLAnchorElement).href);
}

/** Every stored message: no page context of any may carry `_idl`. */
async function expectNoStoredIdl(): Promise<void> {
  const rows = await collector.collector.store.reader.all<{ body: string }>('SELECT body FROM events', []);
  expect(rows.length).toBeGreaterThan(0);
  for (const { body } of rows) expect(body).not.toContain('_idl');
}

describe('one visitor across two registrable domains', () => {
  it('reads docs anonymously, follows a link, signs up on the app: one user whose timeline starts with the docs pages', async () => {
    const docs = await open(`${site.origin(DOCS)}/docs/guide.html`);
    const docsId = await anonymousId(docs);
    await Promise.all([docs.waitForURL('**/docs/next.html'), docs.click('#local')]);
    expect(await anonymousId(docs)).toBe(docsId);
    await docs.goBack();
    await flush(docs);
    await Promise.all([docs.waitForURL(`**/signup.html**`), docs.click('#signup')]);
    // On the app: the docs visitor, the address bar clean, the rest of the URL kept.
    expect(await anonymousId(docs)).toBe(docsId);
    expect(new URL(docs.url()).search).toBe('?plan=team');
    expect(new URL(docs.url()).hash).toBe('#form');
    await docs.evaluate(() => {
      window.idstitch.identifyUser('u_crossdomain', { email: 'ada@example.com' });
      window.idstitch.track('Signed Up');
    });
    await flush(docs);

    const timeline = await eventually(async () => {
      const body = await api<{ events: Message[] }>('/v1/users/u_crossdomain/events?limit=50');
      return body.events?.length >= 6 ? body : undefined;
    }, 'the stitched timeline');
    const pages = timeline.events.map((m) => `${m.type}:${m.context?.page?.path ?? ''}`);
    expect(pages).toEqual([
      'page:/docs/guide.html', 'page:/docs/next.html', 'page:/docs/guide.html', 'page:/signup.html', 'identify:/signup.html', 'track:/signup.html',
    ]);
    expect(new Set(timeline.events.map((m) => m.anonymousId))).toEqual(new Set([docsId]));
    const profile = await api<{ anonymousIds: string[] }>('/v1/users/u_crossdomain');
    expect(profile.anonymousIds).toEqual([docsId]);
    await expectNoStoredIdl();
  });

  it('follows a middle click (new tab), the keyboard, a GET form and a link added after load', async () => {
    const docs = await open(`${site.origin(DOCS)}/docs/guide.html`);
    const docsId = await anonymousId(docs);

    const [tab] = await Promise.all([context.waitForEvent('page'), docs.click('#signup', { button: 'middle' })]);
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.waitForFunction(() => window.idstitch?.getAnonymousId?.());
    expect(await anonymousId(tab)).toBe(docsId);
    expect(tab.url()).not.toContain('_idl');
    await tab.close();

    await docs.evaluate(() => {
      const a = Object.assign(document.createElement('a'), { id: 'late', href: document.getElementById('signup')!.getAttribute('href')!, textContent: 'late' });
      document.body.append(a);
    });
    await docs.focus('#late');
    await Promise.all([docs.waitForURL(`**/signup.html**`), docs.keyboard.press('Enter')]);
    expect(await anonymousId(docs)).toBe(docsId);
    expect(docs.url()).not.toContain('_idl');

    await docs.goto(`${site.origin(DOCS)}/docs/guide.html`);
    await Promise.all([docs.waitForURL(`**/signup.html**`), docs.click('#go')]);
    expect(await anonymousId(docs)).toBe(docsId);
    expect(new URL(docs.url()).search).toBe('?q=webhooks');
    await flush(docs);
    await expectNoStoredIdl();
  });

  it('ignores a stale link (3 minutes) and a hand-edited one, and still cleans the address bar', async () => {
    const docs = await open(`${site.origin(DOCS)}/docs/guide.html`);
    const docsId = (await anonymousId(docs))!;
    const link = await linkFromDocs(docs);

    const later = await openPage(context);
    later.page.on('pageerror', (error) => errors.push(error.message));
    await later.page.clock.install({ time: Date.now() + 180_000 });
    await later.page.goto(link);
    expect(await anonymousId(later.page)).not.toBe(docsId);
    expect(later.page.url()).not.toContain('_idl');

    const url = new URL(link);
    const value = url.searchParams.get('_idl')!;
    // Another visitor's id in the same link: the checksum no longer matches.
    url.searchParams.set('_idl', value.replace(/.$/, (c) => (c === '0' ? '1' : '0')));
    const edited = await open(url.href);
    expect(await anonymousId(edited)).not.toBe(docsId);
    expect(edited.url()).not.toContain('_idl');
    await flush(edited);
  });

  it('a link pasted into a second browser (another user agent) within the 2 minutes does not merge the two', async () => {
    const docs = await open(`${site.origin(DOCS)}/docs/guide.html`);
    const docsId = await anonymousId(docs);
    const link = await linkFromDocs(docs);
    const other = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) OtherBrowser/1.0' });
    try {
      const pasted = await open(link, other);
      expect(await anonymousId(pasted)).not.toBe(docsId);
      expect(pasted.url()).not.toContain('_idl');
    } finally {
      await other.close();
    }
  });

  it('an identified visitor on the app who arrives through a link made by another person stays who they are', async () => {
    const docs = await open(`${site.origin(DOCS)}/docs/guide.html`);
    const link = await linkFromDocs(docs);
    const theirs = await anonymousId(docs);
    // Same user agent (a colleague on the same browser build): the checksum alone cannot tell them apart.
    const colleague = await browser.newContext();
    try {
      const app = await open(`${site.origin(APP)}/signup.html`, colleague);
      await app.evaluate(() => window.idstitch.identifyUser('u_colleague'));
      const own = await anonymousId(app);
      await app.goto(link);
      expect([await anonymousId(app), await userId(app)]).toEqual([own, 'u_colleague']);
      expect(own).not.toBe(theirs);
      expect(app.url()).not.toContain('_idl');
    } finally {
      await colleague.close();
    }
  });
});
