/**
 * The dashboard (`GET /`) in real Chromium against a real collector on a
 * temp SQLite file, listening on 127.0.0.1: the live log fills without a
 * reload, profiles show the stitched timeline, values from events stay text
 * (XSS), and the dashboard token is carried into every call. Screenshots go
 * to test-output/ (git-ignored).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { transform } from 'esbuild';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ASSETS } from '../../src/collector/dashboard/assets.js';
import { OUTPUT, post, useDashboardRig } from './dashboardRig.js';
import { apiCall, group, identify, msg, page, track, useHarness } from './helpers.js';

const harness = useHarness();
const { listening, dashboard } = useDashboardRig(harness);

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const rowOf = (messageId: string) => `#live-log [data-message-id="${messageId}"]`;

/** The query API calls the dashboard repeats as data changes (the live log is pushed, not among them). */
const REFRESHED = /^\/v1\/(stats|timeseries|funnel|conflicts|users|companies|anonymous)$/;
const pathOf = (url: string) => url.split('?')[0]!;

type Visibility = 'visible' | 'hidden';
/**
 * An init script that lets the test hide and show the tab. Headless Chromium
 * keeps every tab visible (a tab behind another, a minimised window: still
 * `visible`), so the page's two views of it, `document.visibilityState` and
 * `document.hidden`, follow a switch, and the switch fires `visibilitychange`
 * as the browser would.
 */
function visibilitySwitch(): void {
  let state: Visibility = 'visible';
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => state === 'hidden' });
  (window as unknown as { __setVisibility(next: Visibility): void }).__setVisibility = (next) => {
    state = next;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}
const setVisibility = (tab: Page, next: Visibility) => tab.evaluate((v) => (window as unknown as { __setVisibility(next: Visibility): void }).__setVisibility(v), next);

describe('dashboard in Chromium', () => {
  it('shows events sent after it opened in the live log without a reload, then the chart, funnel and profiles', async () => {
    const { base } = await listening();
    const { tab, errors, close } = await dashboard(`${base}/`);
    await tab.waitForSelector('.status.live');
    await tab.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    expect(await tab.textContent('#live-log')).toContain('Waiting for events');

    // One journey: anonymous visits, sign-up, company, API calls; plus another visitor.
    const visits = Array.from({ length: 12 }, (_, i) => page('anon-ada', { timestamp: minutesAgo(50 - i * 3), properties: { path: `/docs/${i}` } }));
    const other = Array.from({ length: 8 }, (_, i) => page(`anon-${i}`, { timestamp: minutesAgo(45 - i * 5), properties: { path: '/' } }));
    const login = identify('anon-ada', 'ada', { name: 'Ada Lovelace', email: 'ada@example.com' }, { timestamp: minutesAgo(12) });
    const signedUp = track({ anonymousId: 'anon-ada', userId: 'ada' }, 'Signed Up', { timestamp: minutesAgo(11) });
    const joined = { ...group({ userId: 'ada' }, 'acme', { name: 'Acme Inc' }), timestamp: minutesAgo(10) };
    const calls = Array.from({ length: 6 }, (_, i) => apiCall({ userId: 'ada' }, { timestamp: minutesAgo(8 - i) }));
    await post(base, [...visits, ...other]);
    await tab.waitForSelector(rowOf(visits[0]!.messageId as string));
    await post(base, [login, signedUp, joined, ...calls]);
    await tab.waitForSelector(rowOf(calls[5]!.messageId as string));

    const apiRow = tab.locator(rowOf(calls[0]!.messageId as string));
    expect(await apiRow.locator('.badge').textContent()).toBe('api');
    expect(await apiRow.locator('.name').textContent()).toBe('API Call');
    expect(await tab.locator(rowOf(signedUp.messageId as string)).locator('.badge').textContent()).toBe('web');
    expect(await tab.locator('#live-log li.event').count()).toBe(29);
    expect(await tab.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // Filters: a user also matches the anonymous events of the ids linked to it; a company its users' events.
    await tab.fill('#live-filters [name=user]', 'ada');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 21);
    await tab.selectOption('#live-filters [name=source]', 'api');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 6);
    await tab.click('#live-filters [type=reset]');
    await tab.fill('#live-filters [name=company]', 'acme');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 9);
    await tab.selectOption('#live-filters [name=type]', 'group');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 1);
    await tab.click('#live-filters [type=reset]');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 29);

    // Pushed data refreshes the stats and the chart; the funnel counts on demand too.
    await tab.waitForFunction(() => document.querySelector('#stats')?.textContent?.includes('29'));
    await tab.waitForSelector('#chart rect.api');
    expect(await tab.locator('#chart rect.web').count()).toBeGreaterThan(5);
    await tab.click('#funnel-form button');
    await tab.waitForFunction(() => [...document.querySelectorAll('#funnel .count')].map((c) => c.textContent).join() === '9 users,1 user,1 user');
    expect(await tab.locator('#funnel .share').allTextContents()).toEqual([
      'first step', '11.1% of the first step · 11.1% of the one before', '11.1% of the first step · 100% of the one before',
    ]);
    // The steps are editable.
    await tab.fill('#funnel-form [name=steps]', 'Signed Up,API Call');
    await tab.click('#funnel-form button');
    await tab.waitForFunction(() => document.querySelectorAll('#funnel .count').length === 2);
    expect(await tab.locator('#funnel .label').allTextContents()).toEqual(['Signed Up', 'API Call']);
    await tab.screenshot({ path: `${OUTPUT}/dashboard-live.png`, fullPage: true });

    // The user's profile from the log: stitched timeline with the anonymous part marked, web and API marked.
    await tab.locator(rowOf(signedUp.messageId as string)).locator('a.who').click();
    await tab.waitForSelector('#profile .timeline li.event');
    expect(await tab.textContent('#profile h3')).toBe('User ada');
    expect(await tab.textContent('#profile .facts')).toContain('21 (web 15, api 6)');
    const timeline = tab.locator('#profile .timeline li.event');
    expect(await timeline.count()).toBe(21);
    expect(await tab.locator('#profile .timeline li.anonymous').count()).toBe(12);
    expect(await timeline.nth(0).getAttribute('class')).toContain('anonymous');
    expect(await timeline.nth(12).locator('.name').textContent()).toBe('identified as ada');
    expect(await timeline.nth(20).locator('.badge').first().textContent()).toBe('api');
    expect(await tab.locator('#profile .traits').textContent()).toContain('Ada Lovelace');
    await tab.screenshot({ path: `${OUTPUT}/dashboard-profile.png`, fullPage: true });

    await tab.click('#profile a.company');
    await tab.waitForFunction(() => document.querySelector('#profile h3')?.textContent === 'Company acme');
    expect(await tab.textContent('#profile .facts')).toContain('ada');
    expect(errors).toEqual([]);
    await close();
  });

  it('shows a mega-user flag and the conflicts', async () => {
    const { base } = await listening();
    await post(base, [
      ...Array.from({ length: 51 }, (_, i) => identify(`device-${i}`, 'shared-login')),
      identify('device-0', 'someone-else'),
    ]);
    const { tab, errors, close } = await dashboard(`${base}/#user=shared-login`);
    await tab.waitForSelector('#profile .flag');
    expect(await tab.textContent('#profile .flag')).toBe('mega-user');
    await tab.waitForSelector('#conflicts table');
    expect(await tab.locator('#conflicts tbody td').allTextContents()).toEqual([expect.any(String), 'device-0', 'shared-login', 'someone-else', 'linked to another user']);
    expect(errors).toEqual([]);
    await close();
  });

  it('renders every value from an event as text: no script runs, no dialog, the markup shows literally', async () => {
    const { base } = await listening();
    const payloads = ['<img src=x onerror=window.__pwned=1>', '<script>window.__pwned=2</script>', '"><svg onload=window.__pwned=3>'];
    const [img, script, svg] = payloads as [string, string, string];
    const { tab, errors, dialogs, close } = await dashboard(`${base}/`);
    await tab.waitForSelector('.status.live');

    const batch = [
      msg('page', { anonymousId: img, messageId: `${img}-page`, name: svg, properties: { path: img, title: script } }),
      identify(img, script, { name: img, [svg]: script, nested: { html: svg } }, { messageId: `${script}-identify` }),
      track({ userId: script }, img, { messageId: `${svg}-track`, properties: { [img]: script } }),
      track({ userId: script }, script, { properties: { html: svg } }),
      apiCall({ userId: script }, { properties: { route: script, path: img } }),
      group({ userId: script }, svg, { name: script, [img]: img }),
      identify(img, img), // a refused re-link: a conflict between two hostile ids
    ];
    await post(base, batch);
    await tab.waitForFunction((n) => document.querySelectorAll('#live-log li.event').length === n, batch.length);
    const log = (await tab.textContent('#live-log'))!;
    for (const text of [...payloads, JSON.stringify({ [img]: script })]) expect(log).toContain(text);

    await tab.fill('#live-filters [name=user]', script);
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 6);

    await tab.evaluate((id) => (location.hash = `user=${encodeURIComponent(id)}`), script);
    await tab.waitForSelector('#profile .timeline li.event');
    expect(await tab.textContent('#profile h3')).toBe(`User ${script}`);
    const profile = (await tab.textContent('#profile'))!;
    for (const text of [img, script, svg, `joined ${svg}`]) expect(profile).toContain(text);
    expect(await tab.locator('#profile .traits th').allTextContents()).toEqual(expect.arrayContaining([svg, 'name', 'nested']));
    await tab.screenshot({ path: `${OUTPUT}/dashboard-xss.png`, fullPage: true });

    await tab.evaluate((id) => (location.hash = `company=${encodeURIComponent(id)}`), svg);
    await tab.waitForFunction((id) => document.querySelector('#profile h3')?.textContent === `Company ${id}`, svg);
    expect(await tab.locator('#profile .traits').textContent()).toContain(img);

    await tab.fill('#funnel-form [name=steps]', `page,${img}`);
    await tab.click('#funnel-form button');
    await tab.waitForFunction((step) => [...document.querySelectorAll('#funnel .label')].some((l) => l.textContent === step), img);
    await tab.waitForSelector('#conflicts table');
    expect(await tab.textContent('#conflicts')).toContain(img);

    expect(await tab.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await tab.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      inlineScripts: document.querySelectorAll('script:not([src])').length,
      foreignSvg: [...document.querySelectorAll('svg')].filter((s) => !s.matches('svg.chart, svg.funnel')).length,
    }))).toEqual({ images: 0, inlineScripts: 0, foreignSvg: 0 });
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it('works with the dashboard token on its URL, carrying it into API and stream calls', async () => {
    const { base } = await listening({ dashboardToken: 's3cret' });
    const refused = await dashboard(`${base}/`);
    expect(await refused.tab.textContent('body')).toContain('dashboard token');
    await refused.close();

    const { tab, errors, close } = await dashboard(`${base}/?token=s3cret`);
    await tab.waitForSelector('.status.live');
    const visit = page('tok-anon');
    await post(base, [visit, identify('tok-anon', 'tok-user')]);
    await tab.waitForSelector(rowOf(visit.messageId as string));
    await tab.waitForFunction(() => document.querySelector('#stats')?.textContent?.includes('identified'));
    await tab.click('#live-log a.who');
    await tab.waitForSelector('#profile .timeline li.event');
    await tab.waitForSelector('#chart svg');
    await tab.waitForSelector('#funnel svg');
    expect(await tab.locator('.error').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});

describe('dashboard refreshes in Chromium', () => {
  it('asks the API nothing while the tab is hidden (the pushed log still fills), then each section once, at once, when it is shown', async () => {
    const asked: string[] = [];
    const { base } = await listening({}, (c) => c.app.addHook('onRequest', async (request) => {
      if (REFRESHED.test(pathOf(request.url))) asked.push(pathOf(request.url));
    }));
    const { tab, errors, close } = await dashboard(`${base}/`, visibilitySwitch);
    await tab.waitForSelector('.status.live');
    await expect.poll(() => [...asked].sort()).toEqual(['/v1/conflicts', '/v1/funnel', '/v1/stats', '/v1/timeseries', '/v1/users']);
    await tab.waitForSelector('#funnel svg');

    await setVisibility(tab, 'hidden');
    asked.length = 0;
    // Several batches over a few seconds: visible, each would bring at least a stats refresh (1 s pace).
    const batches = [[page('hid-1'), page('hid-2')], [identify('hid-1', 'hid-user')], [track({ userId: 'hid-user' }, 'Signed Up')]];
    for (const batch of batches) {
      await post(base, batch);
      await tab.waitForSelector(rowOf(batch.at(-1)!.messageId as string), { state: 'attached' });
      await sleep(800);
    }
    await sleep(1500);
    expect(asked).toEqual([]);
    expect(await tab.locator('#stats dd').first().textContent()).toBe('0');

    await setVisibility(tab, 'visible');
    await tab.waitForFunction(() => document.querySelector('#stats dd')?.textContent === '4');
    await expect.poll(() => [...asked].sort()).toEqual(['/v1/conflicts', '/v1/funnel', '/v1/stats', '/v1/timeseries', '/v1/users']);
    await sleep(1500);
    expect(asked).toHaveLength(5); // once each: nothing changed since
    expect(errors).toEqual([]);
    await close();
  });

  it('never has two funnel requests in flight: while a slow count runs, asks wait, then the latest form is counted', async () => {
    let inFlight = 0;
    let most = 0;
    let total = 0;
    const { base } = await listening({}, (c) => {
      c.app.addHook('onRequest', async (request) => {
        if (pathOf(request.url) !== '/v1/funnel') return;
        total++;
        most = Math.max(most, ++inFlight);
        await sleep(1000);
      });
      // Before the answer is written: the browser cannot have seen it yet.
      c.app.addHook('onSend', async (request, _reply, payload) => {
        if (pathOf(request.url) === '/v1/funnel') inFlight--;
        return payload;
      });
    });
    const { tab, errors, close } = await dashboard(`${base}/`);
    await tab.waitForSelector('.status.live');
    await expect.poll(() => total).toBe(1); // the first count, held
    await tab.fill('#funnel-form [name=steps]', 'page');
    for (let i = 0; i < 3; i++) await tab.click('#funnel-form button');
    await post(base, [page('slow-1'), page('slow-2')]);
    await tab.fill('#funnel-form [name=steps]', 'page,Signed Up');
    await tab.click('#funnel-form button');

    await tab.waitForFunction(() => [...document.querySelectorAll('#funnel .label')].map((l) => l.textContent).join() === 'page (visit),Signed Up');
    await expect.poll(() => inFlight).toBe(0);
    expect(most).toBe(1);
    expect(total).toBeGreaterThanOrEqual(2);
    expect(await tab.textContent('#funnel .count')).toBe('2 users');
    expect(errors).toEqual([]);
    await close();
  });
});

describe('dashboard over HTTP', () => {
  it('bound beyond loopback with a token: the page, the stream and the query API answer 401 without it and work with it', async () => {
    const { c, base } = await listening({ host: '0.0.0.0', dashboardToken: 's3cret' });
    expect(c.options.host).toBe('0.0.0.0');
    const paths = ['/', '/v1/stats', '/v1/timeseries', '/v1/funnel?steps=page', '/v1/conflicts', '/v1/live'];
    for (const path of paths) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(401);
      expect((await response.json()).reason, path).toMatch(/dashboard token/);
    }
    for (const path of paths) {
      const controller = new AbortController();
      const withQuery = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=s3cret`, { signal: controller.signal });
      expect(withQuery.status, path).toBe(200);
      const withHeader = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer s3cret' }, signal: controller.signal });
      expect(withHeader.status, path).toBe(200);
      controller.abort();
    }
  });

  it('serves the page and its files with their content types, a strict CSP and no markup built from strings', async () => {
    const { base } = await listening();
    const html = await fetch(`${base}/`);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = html.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html.headers.get('referrer-policy')).toBe('no-referrer');
    const body = await html.text();
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(body).not.toMatch(/\sstyle=|\son\w+=/);

    for (const [name, asset] of ASSETS) {
      const response = await fetch(`${base}/dashboard/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(response.headers.get('content-security-policy'), name).toBe(csp);
      const body = await asset.body();
      expect(await response.text(), name).toBe(body);
      expect(body, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
    expect((await fetch(`${base}/dashboard/nope.js`)).status).toBe(404);
  });

  it('serves the client compiled from its TypeScript as one script: plain JavaScript, nothing left to import', async () => {
    const { base } = await listening();
    const response = await fetch(`${base}/dashboard/app.js`);
    expect(response.status).toBe(200);
    const script = await response.text();
    // TypeScript syntax (annotations, interfaces, `as`, generics) does not parse as JavaScript.
    await expect(transform(script, { loader: 'js', format: 'esm' })).resolves.toMatchObject({ warnings: [] });
    expect(script).not.toMatch(/\bimport\s*[\w{*]|\bimport\(|\bexport\s*[\w{*]/);
    // Code from each client module is in it.
    for (const text of ['visibilitychange', 'v1/live', 'v1/funnel', 'v1/timeseries', 'v1/conflicts', 'Later events']) expect(script).toContain(text);
    for (const old of ['api.js', 'dom.js', 'live.js', 'profile.js', 'chart.js', 'funnel.js', 'conflicts.js']) {
      expect((await fetch(`${base}/dashboard/${old}`)).status, old).toBe(404);
    }
  });
});
