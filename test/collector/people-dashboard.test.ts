/**
 * The dashboard's People view in real Chromium against a real collector
 * (SQLite file, 127.0.0.1, a dashboard token on the URL): where it opens,
 * users and companies with display names and emails, search, pages, a click
 * to the profile and its Export link, values that look like markup shown
 * as text, and its reloads under the refresher's rules (never two of its
 * requests in flight). Screenshots go to test-output/ (git-ignored).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { OUTPUT, post, useDashboardRig } from './dashboardRig.js';
import { apiCall, group, identify, page, useHarness } from './helpers.js';

const harness = useHarness();
const rig = useDashboardRig(harness);
const TOKEN = 'people-view-token';
const listening = (beforeListen?: (c: Collector) => void) => rig.listening({ dashboardToken: TOKEN }, beforeListen);
const dashboard = (base: string) => rig.dashboard(`${base}/?token=${TOKEN}`);

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const HOSTILE = {
  userId: '<img src=x onerror=alert(1)>',
  displayName: '<script>alert("name")</script>',
  email: '"><b onmouseover=alert(2)>bold</b>@x.test',
  company: '<svg onload=alert(3)>',
  companyName: '<i>Evil</i> & Co',
};
const rows = (tab: Page) => tab.locator('#people tbody tr');
const column = (tab: Page, n: number) => tab.locator(`#people tbody tr td:nth-child(${n})`).allTextContents();

describe('the People view in Chromium', () => {
  it('opens on the users with names and emails; searches, pages, opens a profile with its Export; markup stays text', async () => {
    const { base } = await listening();
    // 30 users, one a minute, so the newest comes first; one with a hostile id, name, email and company; a lone visitor.
    const users = Array.from({ length: 30 }, (_, i) => [
      page(`dev-${i}`, { timestamp: minutesAgo(100 - i * 2) }),
      identify(`dev-${i}`, `user-${String(i).padStart(2, '0')}`, { displayName: `Person ${i}`, email: `person${i}@example.com` }, { timestamp: minutesAgo(99 - i * 2) }),
    ]).flat();
    const hostile = [
      page('hostile-laptop', { timestamp: minutesAgo(5) }),
      identify('hostile-laptop', HOSTILE.userId, { displayName: HOSTILE.displayName, email: HOSTILE.email }, { timestamp: minutesAgo(4) }),
      { ...group({ userId: HOSTILE.userId }, HOSTILE.company, { name: HOSTILE.companyName }), timestamp: minutesAgo(3) },
      apiCall({ userId: HOSTILE.userId }, { timestamp: minutesAgo(2) }),
      page('lone-visitor', { timestamp: minutesAgo(1) }),
    ];
    await post(base, [...users, ...hostile]);
    const { tab, errors, dialogs, close } = await dashboard(base);

    // The first thing on the page, showing users, newest first.
    expect(await tab.evaluate(() => document.querySelector('main > section')?.querySelector('h2')?.textContent)).toBe('People');
    await expect.poll(() => rows(tab).count()).toBe(25);
    expect((await column(tab, 1))[0]).toBe(HOSTILE.userId);
    expect((await column(tab, 2))[0]).toBe(HOSTILE.displayName);
    expect((await column(tab, 3))[0]).toBe(HOSTILE.email);
    expect((await column(tab, 4))[0]).toBe(HOSTILE.company);
    expect((await column(tab, 1)).slice(1, 3)).toEqual(['user-29', 'user-28']);
    expect((await column(tab, 2))[1]).toBe('Person 29');
    expect((await column(tab, 3))[1]).toBe('person29@example.com');
    // Text, never markup: no element came from the values, nothing ran.
    expect(await tab.locator('#people img, #people script, #people b, #people svg, #people i').count()).toBe(0);
    await tab.screenshot({ path: `${OUTPUT}/people-users.png`, fullPage: true });

    // Pages forward and back.
    expect(await tab.locator('#people .previous').isDisabled()).toBe(true);
    await tab.click('#people .next');
    await expect.poll(() => rows(tab).count()).toBe(6);
    expect((await column(tab, 1)).at(-1)).toBe('user-00');
    expect(await tab.locator('#people .next').isDisabled()).toBe(true);
    await tab.click('#people .previous');
    await expect.poll(async () => (await column(tab, 1))[0]).toBe(HOSTILE.userId);

    // Search: the start of an id, a display name or an email, any case.
    await tab.fill('#people-form [name=query]', 'PERSON2');
    await expect.poll(() => column(tab, 1)).toEqual(['user-29', 'user-28', 'user-27', 'user-26', 'user-25', 'user-24', 'user-23', 'user-22', 'user-21', 'user-20', 'user-02']);
    await tab.fill('#people-form [name=query]', 'person7@');
    await expect.poll(() => column(tab, 1)).toEqual(['user-07']);
    await tab.fill('#people-form [name=query]', '<script>');
    await expect.poll(() => column(tab, 1)).toEqual([HOSTILE.userId]);
    await tab.fill('#people-form [name=query]', 'nobody-at-all');
    await expect.poll(() => tab.textContent('#people')).toContain('Nothing starts with “nobody-at-all”.');

    // A click opens the profile and stitched timeline, with an Export link that carries the token.
    await tab.fill('#people-form [name=query]', '<img');
    await tab.click(`#people tbody tr td:first-child a`);
    await tab.waitForFunction((id) => document.querySelector('#profile h3 .id')?.textContent === id, HOSTILE.userId);
    await expect.poll(() => tab.locator('#profile .timeline li.event').count()).toBe(4);
    expect(await tab.locator('#profile img, #profile script, #profile b').count()).toBe(0);
    const href = await tab.getAttribute('#profile a.export', 'href');
    expect(href).toBe(`v1/users/${encodeURIComponent(HOSTILE.userId)}/export?token=${TOKEN}`);
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#profile a.export')]);
    const lines = (await (await fetch(new URL(href!, `${base}/`))).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { record: string; data: Record<string, unknown> });
    expect(download.suggestedFilename()).toMatch(/^idstitch-user-.*\.ndjson$/);
    expect(lines[0]).toMatchObject({ record: 'profile', data: { userId: HOSTILE.userId, traits: { displayName: HOSTILE.displayName } } });
    expect(lines.filter((l) => l.record === 'event')).toHaveLength(4);

    // Companies: the name as text, the user count; the company opens its profile.
    await tab.check('#people-form [value=companies]');
    await tab.fill('#people-form [name=query]', '');
    await expect.poll(() => column(tab, 1)).toEqual([HOSTILE.company]);
    expect(await column(tab, 2)).toEqual([HOSTILE.companyName]);
    expect(await column(tab, 3)).toEqual(['1']);
    expect(await tab.locator('#people svg, #people i').count()).toBe(0);
    await tab.click('#people tbody tr td:first-child a');
    await tab.waitForFunction((id) => document.querySelector('#profile h3 .id')?.textContent === id, HOSTILE.company);

    // The visitors not identified.
    await tab.check('#people-form [value=anonymous]');
    await expect.poll(() => column(tab, 1)).toEqual(['lone-visitor']);
    expect(await tab.locator('#people-form [name=query]').isDisabled()).toBe(true);
    await tab.screenshot({ path: `${OUTPUT}/people-anonymous.png`, fullPage: true });

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it('shows new users as they arrive, and never has two of its requests in flight however fast one types and pages', async () => {
    let inFlight = 0;
    let most = 0;
    let total = 0;
    const { base } = await listening((c) => {
      c.app.addHook('onRequest', async (request) => {
        if (request.url.split('?')[0] !== '/v1/users') return;
        total++;
        most = Math.max(most, ++inFlight);
        await sleep(400);
      });
      c.app.addHook('onSend', async (request, _reply, payload) => {
        if (request.url.split('?')[0] === '/v1/users') inFlight--;
        return payload;
      });
    });
    const { tab, errors, close } = await dashboard(base);
    await tab.waitForSelector('.status.live');
    await expect.poll(() => tab.textContent('#people')).toContain('No users yet');

    // Pushed events bring the list up to date, without a reload.
    await post(base, [identify('arrive-1', 'arrived', { displayName: 'Just Arrived' })]);
    await expect.poll(() => column(tab, 2), { timeout: 10_000 }).toEqual(['Just Arrived']);

    await post(base, ['alpha', 'alpine', 'beta'].map((id, i) => identify(`d-${id}`, id, {}, { timestamp: minutesAgo(3 - i) })));
    for (const text of ['a', 'al', 'alp', 'alph', 'alpi']) {
      await tab.fill('#people-form [name=query]', text);
      await sleep(120);
    }
    await expect.poll(() => column(tab, 1), { timeout: 10_000 }).toEqual(['alpine']);
    await expect.poll(() => inFlight).toBe(0);
    expect(most).toBe(1);
    expect(total).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
    await close();
  });
});
