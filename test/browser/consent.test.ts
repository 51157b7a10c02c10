/**
 * Consent and Global Privacy Control in a real Chromium (README "Consent"): what
 * the script-tag build and the snippet store, send and hold in each state.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TrackMessage } from '../../src/protocol/messages.js';
import { openPage } from '../support/chromium.js';
import { useBrowserRig } from '../support/rig.js';

const rig = useBrowserRig();
let context: BrowserContext;
let errors: string[];

/** A page that logs every `storage` event it sees: another same-origin page's writes to localStorage. */
const WATCHER = `<!doctype html><title>Watcher</title><script>
  window.storageLog = [];
  addEventListener('storage', (e) => storageLog.push(e.key));
</script>`;

const page = (init: Record<string, unknown>, before = '') => `<!doctype html><title>Consent</title>${before}
  <script src="/dist/idstitch.min.js"></script>
  <script>idstitch.init(${JSON.stringify({ endpoint: rig.receiver.endpoint, flushInterval: 20, ...init })});</script>`;

/** The async snippet with consent pending, `calls` recorded by its stub, then the SDK loaded. */
const snippetPage = (calls: string) => `<!doctype html><title>Snippet</title><script src="/dist/snippet.min.js"></script><script>
  idstitch.init(${JSON.stringify({ endpoint: rig.receiver.endpoint, flushInterval: 20, consent: 'pending' })});
  ${calls}
  idstitch.load('/dist/idstitch.min.js');
</script>`;

/** A dozen calls that would each store or send something with consent. */
const DOZEN_CALLS = () => {
  const t = window.idstitch;
  t.page();
  t.track('Docs Searched', { query: 'webhooks' });
  t.identifyUser('u_consent', { email: 'ada@example.com' }, { token: 'tok' });
  t.identifyCompany('c_consent', { name: 'Acme' });
  t.setUserProperties({ plan: 'team' });
  for (let i = 0; i < 5; i++) t.track('Clicked', { i });
  t.reset();
  t.track('After Reset');
  return t.flush();
};

beforeAll(() => {
  rig.site.setPage('/watcher.html', WATCHER);
  rig.site.setPage('/pending.html', page({ consent: 'pending' }));
  rig.site.setPage('/granted.html', page({}));
  rig.site.setPage('/denied.html', page({ consent: 'denied' }));
  rig.site.setPage('/gpc.html', page({}, `<script>Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });</script>`));
  rig.site.setPage('/snippet.html', snippetPage("idstitch.track('Before Load');"));
  rig.site.setPage('/snippet-granted.html', snippetPage("idstitch.track('Held By The Stub'); idstitch.setConsent('granted');"));
});
beforeEach(async () => {
  // Every call of a test is made after it began; an earlier test's page may still beacon a copy of its last message.
  rig.receiver.clear(Date.now());
  context = await rig.browser.newContext();
  errors = [];
});
afterEach(async () => {
  await context.close();
  expect(errors).toEqual([]);
});

async function visit(path: string): Promise<Page> {
  const opened = await openPage(context);
  opened.page.on('pageerror', (error) => errors.push(error.message));
  await opened.page.goto(`${rig.site.origin()}${path}`);
  return opened.page;
}

const stored = (p: Page) =>
  p.evaluate(() => ({ cookie: document.cookie, local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])) }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consent in a real Chromium', () => {
  it('pending: a dozen calls leave not one byte in cookies or localStorage, no storage event, nothing sent', async () => {
    const watcher = await visit('/watcher.html');
    const p = await visit('/pending.html');
    await p.evaluate(DOZEN_CALLS);
    await sleep(300);
    expect(await stored(p)).toEqual({ cookie: '', local: {} });
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);
    expect(await watcher.evaluate(() => (window as unknown as { storageLog: string[] }).storageLog)).toEqual([]);
    expect(rig.receiver.messages()).toEqual([]);
    expect(await p.evaluate(() => window.idstitch.getAnonymousId())).toBeNull();

    // Granted: the identity is created and stored, the held calls go out in order with their own times.
    const grantedAt = Date.now();
    await p.evaluate(() => window.idstitch.setConsent('granted'));
    const messages = await rig.receiver.waitFor(11);
    expect(messages.map((m) => (m as TrackMessage).event ?? m.type)).toEqual([
      'page', 'Docs Searched', 'identify', 'group', 'identify', 'Clicked', 'Clicked', 'Clicked', 'Clicked', 'Clicked', 'After Reset',
    ]);
    for (const m of messages) expect(Date.parse(m.timestamp!)).toBeLessThan(grantedAt);
    const [first] = messages;
    expect(messages.slice(0, 10).every((m) => m.anonymousId === first!.anonymousId)).toBe(true);
    // reset() was held too: the last message has the new visitor.
    const last = messages.at(-1)!;
    expect(last.anonymousId).not.toBe(first!.anonymousId);
    expect(last.anonymousId).toBe(await p.evaluate(() => window.idstitch.getAnonymousId()));
    expect((await stored(p)).local['idstitch_aid']).toBe(last.anonymousId);
    expect(await watcher.evaluate(() => (window as unknown as { storageLog: string[] }).storageLog.length)).toBeGreaterThan(0);
  });

  it('denied after granted: everything the SDK stored is removed, later calls store and send nothing', async () => {
    const p = await visit('/granted.html');
    await p.evaluate(() => {
      window.idstitch.identifyUser('u_1');
      return window.idstitch.flush();
    });
    expect((await stored(p)).cookie).toContain('idstitch_aid');
    rig.receiver.clear(Date.now());
    await p.evaluate(() => window.idstitch.setConsent('denied'));
    expect(await stored(p)).toEqual({ cookie: '', local: {} });
    await p.evaluate(DOZEN_CALLS);
    await p.reload();
    await sleep(200);
    // The reload is a new page that (like every page) is told consent again: granted here, so it starts afresh.
    expect(rig.receiver.messages()).toEqual([]);
  });

  it('consent: "denied" on load erases an earlier visit and keeps nothing', async () => {
    const p = await visit('/granted.html');
    await p.evaluate(() => window.idstitch.track('x'));
    await p.goto(`${rig.site.origin()}/denied.html`);
    await p.evaluate(DOZEN_CALLS);
    expect(await stored(p)).toEqual({ cookie: '', local: {} });
  });

  it('optOut still wins: granted later, nothing is sent, and the choice persists across reloads', async () => {
    const p = await visit('/pending.html');
    await p.evaluate(() => {
      window.idstitch.track('held');
      window.idstitch.optOut();
      window.idstitch.setConsent('granted');
    });
    await p.goto(`${rig.site.origin()}/granted.html`);
    await p.evaluate(DOZEN_CALLS);
    await sleep(200);
    expect(rig.receiver.messages()).toEqual([]);
    expect((await stored(p)).local['idstitch_opt']).toBe('1');
  });

  it('Global Privacy Control defined before the SDK loads: denied, until the site grants', async () => {
    const p = await visit('/gpc.html');
    await p.evaluate(DOZEN_CALLS);
    await sleep(200);
    expect(await stored(p)).toEqual({ cookie: '', local: {} });
    expect(rig.receiver.messages()).toEqual([]);
    await p.evaluate(() => {
      window.idstitch.setConsent('granted');
      window.idstitch.track('Agreed');
    });
    const [message] = await rig.receiver.waitFor(1);
    expect((message as TrackMessage).event).toBe('Agreed');
  });

  it('the snippet stub: pending until the SDK loads and the site grants; setConsent recorded by the stub works too', async () => {
    const p = await visit('/snippet.html');
    await p.waitForFunction(() => !Array.isArray(window.idstitch));
    await sleep(100);
    expect(rig.receiver.messages()).toEqual([]);
    expect(await stored(p)).toEqual({ cookie: '', local: {} });
    await p.evaluate(() => window.idstitch.setConsent('granted'));
    const [message] = await rig.receiver.waitFor(1);
    expect((message as TrackMessage).event).toBe('Before Load');

    rig.receiver.clear(Date.now());
    await p.goto(`${rig.site.origin()}/snippet-granted.html`);
    const [held] = await rig.receiver.waitFor(1);
    expect((held as TrackMessage).event).toBe('Held By The Stub');
  });
});
