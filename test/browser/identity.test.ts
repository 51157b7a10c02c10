import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/messages.js';
import { anonymousIdCookieName } from '../../src/protocol/storageKeys.js';
import { openPage } from '../support/chromium.js';
import { useBrowserRig } from '../support/rig.js';

const rig = useBrowserRig();
let context: BrowserContext;
let errors: string[];

const WRITE_KEY = 'wk_identity';
const AID = anonymousIdCookieName(WRITE_KEY);

beforeAll(() => {
  rig.site.setPage('/app.html', `<!doctype html><title>App</title><script src="/dist/idstitch.min.js"></script>
    <script>idstitch.init(${JSON.stringify({ endpoint: rig.receiver.endpoint, writeKey: WRITE_KEY, flushInterval: 20 })});</script>`);
});
beforeEach(async () => {
  rig.receiver.clear();
  context = await rig.browser.newContext();
  errors = [];
});
afterEach(async () => {
  await context.close();
  expect(errors).toEqual([]);
});

async function visit(host = 'a.example.test'): Promise<Page> {
  const opened = await openPage(context);
  opened.page.on('pageerror', (error) => errors.push(error.message));
  await opened.page.goto(`${rig.site.origin(host)}/app.html`);
  return opened.page;
}

const anonymousId = (page: Page) => page.evaluate(() => window.idstitch.getAnonymousId());
const storedLocally = (page: Page) => page.evaluate((key) => localStorage.getItem(key), AID);
const cookieValue = async (name: string) => (await context.cookies()).find((c) => c.name === name);

describe('identity persistence in a real Chromium', () => {
  it('mirrors the anonymous id to a cookie on the parent domain, so sibling subdomains share one id', async () => {
    const a = await visit('a.example.test');
    const id = await anonymousId(a);
    const cookie = await cookieValue(AID);
    expect(cookie?.value).toBe(id);
    expect(cookie?.domain).toBe('.example.test');
    expect(cookie?.sameSite).toBe('Lax');
    // About a year: cookieExpiryDays defaults to 365.
    expect(cookie!.expires * 1000 - Date.now()).toBeGreaterThan(364 * 86_400_000);

    const b = await visit('b.example.test');
    expect(await anonymousId(b)).toBe(id);
    // b's own localStorage (another origin) was filled from the shared cookie.
    expect(await storedLocally(b)).toBe(id);
  });

  it('restores localStorage from the cookie after localStorage is cleared', async () => {
    const page = await visit();
    const id = await anonymousId(page);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    expect(await anonymousId(page)).toBe(id);
    expect(await storedLocally(page)).toBe(id);
  });

  it('restores the cookie from localStorage after cookies are cleared', async () => {
    const page = await visit();
    const id = await anonymousId(page);
    await context.clearCookies();
    await page.reload();
    expect(await anonymousId(page)).toBe(id);
    expect((await cookieValue(AID))?.value).toBe(id);
  });

  it('keeps an identified visitor identified across reloads and subdomains, until reset()', async () => {
    const a = await visit('a.example.test');
    await a.evaluate(() => {
      window.idstitch.identifyUser('u_42', { plan: 'pro' });
      window.idstitch.identifyCompany('c_9');
    });
    const b = await visit('b.example.test');
    expect(await b.evaluate(() => [window.idstitch.getUserId(), window.idstitch.getCompanyId()])).toEqual(['u_42', 'c_9']);

    const before = await anonymousId(b);
    await b.evaluate(() => window.idstitch.reset());
    const after = await anonymousId(b);
    expect(after).not.toBe(before);
    expect(await b.evaluate(() => [window.idstitch.getUserId(), window.idstitch.getCompanyId()])).toEqual([null, null]);

    // The logout on b reaches a through the shared cookie: the old user is not resurrected from a's localStorage.
    await a.reload();
    expect(await anonymousId(a)).toBe(after);
    expect(await a.evaluate(() => window.idstitch.getUserId())).toBeNull();
  });

  it('splits on a second login without logout: two users never share an anonymous id or a session', async () => {
    const page = await visit();
    await page.evaluate(() => {
      window.idstitch.identifyUser('alice');
      window.idstitch.track('Alice did');
      window.idstitch.identifyUser('bob');
      window.idstitch.track('Bob did');
      return window.idstitch.flush();
    });
    const messages = await rig.receiver.waitFor(4);
    const byUser = (user: string) => messages.filter((m: Message) => m.userId === user);
    const [alice, bob] = [byUser('alice'), byUser('bob')];
    expect(alice).toHaveLength(2);
    expect(bob).toHaveLength(2);
    expect(alice[0]!.anonymousId).not.toBe(bob[0]!.anonymousId);
    expect(alice[0]!.context.sessionId).not.toBe(bob[0]!.context.sessionId);
    expect(new Set(alice.map((m) => m.anonymousId)).size).toBe(1);
    expect(new Set(bob.map((m) => m.anonymousId)).size).toBe(1);
  });

  it('keeps the identity token beside its user: on every message of that user across a reload, never in a cookie, and not for the user a sibling subdomain logged in', async () => {
    const a = await visit('a.example.test');
    await a.evaluate(() => {
      window.idstitch.identifyUser('u_tok', { plan: 'pro' }, { token: 'tok_abc' });
      return window.idstitch.flush();
    });
    await a.reload();
    await a.evaluate(() => {
      window.idstitch.track('After reload');
      return window.idstitch.flush();
    });
    // b shares the cookie (the user id), not a's localStorage (the token): its login as someone else splits.
    const b = await visit('b.example.test');
    await b.evaluate(() => {
      window.idstitch.identifyUser('u_other');
      return window.idstitch.flush();
    });
    await a.reload();
    await a.evaluate(() => {
      window.idstitch.track('As the other user');
      return window.idstitch.flush();
    });
    const messages = await rig.receiver.waitFor(4);
    expect(messages.map((m) => [m.type, m.userId, m.context.identityToken])).toEqual([
      ['identify', 'u_tok', 'tok_abc'], ['track', 'u_tok', 'tok_abc'], ['identify', 'u_other', undefined], ['track', 'u_other', undefined],
    ]);
    expect((await context.cookies()).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')).not.toContain('tok_abc');
  });

  it('the same user again merges traits and keeps the identity', async () => {
    const page = await visit();
    const id = await anonymousId(page);
    await page.evaluate(() => {
      window.idstitch.identifyUser('carol', { plan: 'free' });
      window.idstitch.identifyUser('carol', { seats: 3 });
      return window.idstitch.flush();
    });
    const messages = await rig.receiver.waitFor(2);
    expect(messages.map((m) => m.anonymousId)).toEqual([id, id]);
    expect(messages[1]!.type === 'identify' && messages[1]!.traits).toEqual({ plan: 'free', seats: 3 });
  });
});

declare global {
  interface Window {
    idstitch: import('../../src/browser/global.js').IdstitchGlobal;
  }
}
