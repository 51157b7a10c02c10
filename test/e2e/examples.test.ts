/**
 * The examples as `npm start` runs them (the same `startStack`, on free
 * ports and a temporary store), driven in real Chromium like a visitor would:
 * browse the docs anonymously on one subdomain and the SPA on another, call
 * the API, log in through the form, call the API again, log out. The
 * collector must show one user with web and API traffic, the anonymous page
 * views attributed to them, and a new anonymous id after the logout.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from '../../examples/stack.js';
import type { ServerError } from '../../src/server/index.js';
import { launchChromium } from '../support/chromium.js';
import { eventually, getJson } from './poll.js';

const dir = mkdtempSync(join(tmpdir(), 'idstitch-examples-'));
let stack: Stack;
let browser: Browser;
const clientErrors: ServerError[] = [];

beforeAll(async () => {
  if (!existsSync(new URL('../../dist/idstitch.min.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  [stack, browser] = await Promise.all([
    startStack({ collectorPort: 0, examplesPort: 0, database: join(dir, 'store.db'), flushInterval: 50, onError: (e) => void clientErrors.push(e) }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Sdk = { getAnonymousId(): string | null; getUserId(): string | null; flush(): Promise<void> };
const collectorUrl = () => stack.urls.dashboard.replace(/\/$/, '');
const site = (host: string) => `http://${host}.example.test:${stack.examples.port}`;

/** Opens a docs page and waits for the SDK to replace the snippet's stub. */
async function openDocs(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as any).example?.ready === 'function');
  await page.evaluate(() => (window as any).example.ready());
}
const docsSdk = <T>(page: Page, fn: (sdk: Sdk) => T | Promise<T>) =>
  page.evaluate(`(${fn.toString()})(window.idstitch)`) as Promise<T>;

it('docs and SPA on two subdomains, login, API calls and logout end up as one stitched user', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  // Anonymous: two docs pages and an API call on a.example.test.
  await openDocs(page, `${site('a')}/docs/`);
  const anonymousId = await docsSdk(page, (sdk) => sdk.getAnonymousId());
  expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
  await openDocs(page, `${site('a')}/docs/guide.html`);
  await page.click('#load-projects');
  await page.waitForSelector('#projects li');

  // The SPA on b.example.test shares the identity through the cookie on example.test.
  await page.goto(`${site('b')}/app/`);
  await page.waitForFunction(() => (window as any).app?.tracker);
  expect(await page.evaluate(() => (window as any).app.tracker.getAnonymousId())).toBe(anonymousId);
  await page.click('a[href="/app/projects"]');
  await page.waitForSelector('#projects li');
  await page.click('a[href="/app/settings"]');
  await page.evaluate(() => (window as any).app.tracker.flush());

  // Log in through the form on the docs site.
  await openDocs(page, `${site('a')}/docs/api.html`);
  await page.fill('#login input[name=email]', 'ada@analytical.example');
  await page.click('#login button');
  await page.waitForSelector('#account:not([hidden])');
  const userId = await docsSdk(page, (sdk) => sdk.getUserId());
  expect(userId).toMatch(/^[0-9a-f]{64}$/);
  expect(await docsSdk(page, (sdk) => sdk.getAnonymousId())).toBe(anonymousId);
  await page.click('#load-projects');
  await page.waitForSelector('#projects li');

  // Log out: the session ends and the browser gets a new anonymous id; the next page view is anonymous.
  await page.click('#logout');
  await page.waitForSelector('#login:not([hidden])');
  const afterLogout = await docsSdk(page, (sdk) => sdk.getAnonymousId());
  expect(afterLogout).not.toBe(anonymousId);
  expect(await docsSdk(page, (sdk) => sdk.getUserId())).toBeNull();
  await openDocs(page, `${site('a')}/docs/`);
  expect(await docsSdk(page, (sdk) => sdk.getAnonymousId())).toBe(afterLogout);
  await docsSdk(page, (sdk) => sdk.flush());
  await stack.examples.client.flush();
  expect(pageErrors).toEqual([]);

  // Web: 3 docs page views, 3 SPA page views, Settings Viewed, identify, group, Logged In.
  // API: /api/me on each docs page (3), projects (3), login, logout.
  const profile = await eventually(async () => {
    const { status, body } = await getJson(collectorUrl(), `/v1/users/${userId}`);
    return status === 200 && body.sources.web >= 10 && body.sources.api >= 8 ? body : undefined;
  }, 'the stitched profile');
  expect(profile).toMatchObject({ userId, anonymousIds: [anonymousId], companyId: 'analytical.example', sources: { web: 10, api: 8 } });

  const { body: timeline } = await getJson(collectorUrl(), `/v1/users/${userId}/events?limit=100`);
  const events = timeline.events as Record<string, any>[];
  const anonymousPages = events.filter((e) => e.type === 'page' && e.userId == null).map((e) => `${new URL(e.context.page.url).host.split('.')[0]} ${e.context.page.path}`);
  expect(anonymousPages.sort()).toEqual(['a /docs/', 'a /docs/api.html', 'a /docs/guide.html', 'b /app/', 'b /app/projects', 'b /app/settings']);
  const anonymousApiCalls = events.filter((e) => e.event === 'API Call' && e.userId == null);
  expect(anonymousApiCalls.length).toBeGreaterThanOrEqual(3);
  expect(new Set(anonymousApiCalls.map((e) => e.anonymousId))).toEqual(new Set([anonymousId]));
  // The logout call is still the user's: the session ended with its answer.
  expect(events.some((e) => e.event === 'API Call' && e.properties.path === '/api/logout' && e.userId === userId)).toBe(true);

  // After logout: a new anonymous visitor, linked to nobody.
  const next = await eventually(async () => {
    const { status, body } = await getJson(collectorUrl(), `/v1/anonymous/${afterLogout}`);
    return status === 200 ? body : undefined;
  }, 'the post-logout anonymous id');
  expect(next).toEqual({ anonymousId: afterLogout, userId: null });
  const { body: company } = await getJson(collectorUrl(), '/v1/companies/analytical.example');
  expect(company).toMatchObject({ companyId: 'analytical.example', userIds: [userId] });
  const { body: stats } = await getJson(collectorUrl(), '/v1/stats');
  expect(stats).toMatchObject({ users: 2, identifiedUsers: 1, anonymousVisitors: 1 });
  expect(clientErrors).toEqual([]);
  await context.close();
});

it('the docs on a second host name (localhost): their App link carries the visitor to the SPA on 127.0.0.1', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await openDocs(page, stack.urls.docsElsewhere);
  const docsId = await docsSdk(page, (sdk) => sdk.getAnonymousId());
  await Promise.all([page.waitForURL(`${stack.examples.url}/app/`), page.click('nav a:text("App")')]);
  await page.waitForFunction(() => (window as any).app?.tracker);
  // Two sites to the browser (no shared cookie or storage), one visitor to idstitch.
  expect(new URL(page.url()).host).toBe(new URL(stack.examples.url).host);
  expect(await page.evaluate(() => (window as any).app.tracker.getAnonymousId())).toBe(docsId);
  await page.evaluate(() => (window as any).app.tracker.flush());
  const paths = await eventually(async () => {
    const rows = await stack.collector.store.reader.all<{ body: string }>('SELECT body FROM events WHERE anonymous_id = ? ORDER BY seq', [docsId]);
    const pages = rows.map((row) => JSON.parse(row.body) as Record<string, any>).filter((m) => m.type === 'page');
    return pages.length >= 2 ? pages.map((m) => `${new URL(m.context.page.url).hostname} ${m.context.page.path}`) : undefined;
  }, 'both sites’ page views under one anonymous id');
  expect(paths).toEqual(['localhost /docs/', '127.0.0.1 /app/']);
  expect(pageErrors).toEqual([]);
  await context.close();
});
