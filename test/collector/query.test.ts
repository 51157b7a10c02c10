/**
 * The query API (README "The collector") on both stores: shapes, 404s,
 * pagination, funnels, conflicts, the dashboard token.
 */
import { describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../src/collector/index.js';
import { apiCall, get, group, identify, page, send, STORE_KINDS, track, useHarness, type Msg } from './helpers.js';

const harness = useHarness();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const at = (iso: string, m: Msg) => ({ ...m, timestamp: iso });
/** Without sentAt, so event times are exactly the timestamps sent (no skew correction). */
const put = (c: Collector, messages: Msg[]) => send(c, messages, { sentAt: undefined });
const day = (n: number, hour = 0) => new Date(Date.UTC(2024, 0, 1 + n, hour)).toISOString();

describe.each(STORE_KINDS)('query API on %s', (kind) => {
  it('a user profile has the contract shape with ISO timestamps', async () => {
    const c = await harness.collector(kind);
    await put(c, [at(day(0), page('a')), at(day(1), identify('a', 'u', { name: 'Ada' })), at(day(2), apiCall({ userId: 'u' })), group({ userId: 'u' }, 'co')]);
    const { status, body } = await get(c, '/v1/users/u');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['anonymousIds', 'companyId', 'eventCount', 'firstSeen', 'flags', 'lastSeen', 'sources', 'traits', 'userId']);
    expect(body).toMatchObject({
      userId: 'u', anonymousIds: ['a'], companyId: 'co', traits: { name: 'Ada' }, firstSeen: day(0), eventCount: 4, sources: { web: 3, api: 1 }, flags: [],
    });
    expect(body.lastSeen).toMatch(ISO);
  });

  it('unknown ids answer 404 with a reason', async () => {
    const c = await harness.collector(kind);
    await put(c, [page('known')]);
    for (const [url, reason] of [
      ['/v1/users/ghost', 'unknown user "ghost"'],
      ['/v1/users/ghost/events', 'unknown user "ghost"'],
      ['/v1/anonymous/ghost', 'unknown anonymous id "ghost"'],
      ['/v1/companies/ghost', 'unknown company "ghost"'],
    ]) {
      expect(await get(c, url!)).toEqual({ status: 404, body: { ok: false, reason } });
    }
    expect((await get(c, '/v1/anonymous/known')).body).toEqual({ anonymousId: 'known', userId: null });
  });

  it('ids with slashes, spaces and unicode round-trip through the URL', async () => {
    const c = await harness.collector(kind);
    const userId = 'org/42 Zoë ✓';
    await put(c, [identify('anon/1', userId)]);
    expect((await get(c, `/v1/users/${encodeURIComponent(userId)}`)).body.userId).toBe(userId);
    expect((await get(c, `/v1/anonymous/${encodeURIComponent('anon/1')}`)).body.userId).toBe(userId);
  });

  it('pages through a timeline with after and before cursors, oldest first', async () => {
    const c = await harness.collector(kind);
    const events = Array.from({ length: 25 }, (_, i) => track({ anonymousId: i % 2 ? 'web' : 'phone' }, `E${i}`));
    await put(c, [at(day(0), identify('web', 'pager')), at(day(0), identify('phone', 'pager')), ...events.map((e, i) => at(day(1, i), e))]);
    const names = (page: Record<string, any>) => (page.events as Msg[]).map((e) => e.event ?? e.type);

    const first = (await get(c, '/v1/users/pager/events?limit=10')).body;
    expect(names(first)).toEqual(['identify', 'identify', ...Array.from({ length: 8 }, (_, i) => `E${i}`)]);
    expect(first.before).toBeNull();
    const second = (await get(c, `/v1/users/pager/events?limit=10&after=${first.after}`)).body;
    expect(names(second)).toEqual(Array.from({ length: 10 }, (_, i) => `E${i + 8}`));
    const third = (await get(c, `/v1/users/pager/events?limit=10&after=${second.after}`)).body;
    expect(names(third)).toEqual(Array.from({ length: 7 }, (_, i) => `E${i + 18}`));
    expect(third.after).toBeNull();

    const back = (await get(c, `/v1/users/pager/events?limit=10&before=${third.before}`)).body;
    expect(names(back)).toEqual(names(second));
    const start = (await get(c, `/v1/users/pager/events?limit=10&before=${back.before}`)).body;
    expect(names(start)).toEqual(names(first));
    expect(start.before).toBeNull();

    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'after=nope', 'before=1', `after=${first.after}&before=${first.after}`]) {
      const answer = await get(c, `/v1/users/pager/events?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.reason, query).toBeTruthy();
    }
  });

  it('funnel: stitched users (web and API) whose first time of each step is in order, each within the window of the first', async () => {
    const c = await harness.collector(kind);
    await put(c, [
      // Complete journey: visit → sign up → identify → API call within 2 days.
      at(day(0), page('j1')), at(day(0, 1), track({ anonymousId: 'j1' }, 'Signed Up')), at(day(0, 2), identify('j1', 'dev-1')),
      at(day(1), apiCall({ userId: 'dev-1' })),
      // Signs up, but the API call comes 10 days later.
      at(day(0), page('j2')), at(day(0, 1), track({ anonymousId: 'j2' }, 'Signed Up')), at(day(0, 2), identify('j2', 'dev-2')),
      at(day(10), apiCall({ userId: 'dev-2' })),
      // Steps out of order: API call before the page view.
      at(day(0), apiCall({ userId: 'dev-3' })), at(day(0, 1), identify('j3', 'dev-3')), at(day(0, 2), page('j3')),
      at(day(0, 3), track({ anonymousId: 'j3' }, 'Signed Up')),
      // Only a visit.
      at(day(0), page('j4')),
      // The first visit starts the journey: signing up 20 days later is outside a 7-day window.
      at(day(0), page('j5')), at(day(20), page('j5')), at(day(20, 1), track({ anonymousId: 'j5' }, 'Signed Up')), at(day(21), apiCall({ anonymousId: 'j5' })),
    ]);
    const funnel = (await get(c, `/v1/funnel?steps=${encodeURIComponent('page,Signed Up,API Call')}&within=7d`)).body;
    expect(funnel.steps).toEqual([{ step: 'page', users: 5 }, { step: 'Signed Up', users: 3 }, { step: 'API Call', users: 1 }]);
    const unbounded = (await get(c, `/v1/funnel?steps=${encodeURIComponent('page,Signed Up,API Call')}`)).body;
    expect(unbounded.steps.map((s: { users: number }) => s.users)).toEqual([5, 4, 3]);
    const short = (await get(c, `/v1/funnel?steps=${encodeURIComponent('Signed Up,API Call')}&within=30m`)).body;
    expect(short.steps.map((s: { users: number }) => s.users)).toEqual([4, 0]);

    expect((await get(c, '/v1/funnel')).status).toBe(400);
    expect((await get(c, '/v1/funnel?steps=page,Signed%20Up,page')).body).toEqual({ ok: false, reason: 'steps names "page" twice; each step may appear once' });
    expect((await get(c, '/v1/funnel?steps=page&within=soon')).body).toEqual({ ok: false, reason: 'within must be a duration such as 30m, 24h or 7d' });
  });

  it('funnel: equal first times count as in order, the window is inclusive, a late identify brings the anonymous steps along', async () => {
    const c = await harness.collector(kind);
    await put(c, [
      at(day(0), page('k1')), at(day(0), track({ anonymousId: 'k1' }, 'Signed Up')), at(day(0, 2), track({ anonymousId: 'k1' }, 'Invited')),
      // The user's own API-side first step, then the anonymous id's page view, stitched only by an identify that comes last.
      at(day(0, 1), track({ userId: 'late' }, 'Signed Up')), at(day(0), page('k2')), at(day(0, 2), track({ userId: 'late' }, 'Invited')),
    ]);
    const steps = encodeURIComponent('page,Signed Up,Invited');
    expect((await get(c, `/v1/funnel?steps=${steps}&within=2h`)).body.steps.map((s: { users: number }) => s.users)).toEqual([2, 1, 1]);
    await put(c, [at(day(5), identify('k2', 'late'))]);
    expect((await get(c, `/v1/funnel?steps=${steps}&within=2h`)).body.steps.map((s: { users: number }) => s.users)).toEqual([2, 2, 2]);
    expect((await get(c, `/v1/funnel?steps=${steps}&within=${2 * 3_600_000 - 1}ms`)).body.steps.map((s: { users: number }) => s.users)).toEqual([2, 2, 0]);
  });

  it('lists conflicts, oldest first, one per refused (anonymous id, user) pair, paged', async () => {
    const c = await harness.collector(kind);
    await put(c, [identify('shared', 'first')]);
    for (let i = 0; i < 5; i++) await put(c, [identify('shared', `other-${i}`), identify('shared', `other-${i}`)]);
    const page1 = (await get(c, '/v1/conflicts?limit=3')).body;
    expect(page1.conflicts.map((x: { attemptedUserId: string }) => x.attemptedUserId)).toEqual(['other-0', 'other-1', 'other-2']);
    const page2 = (await get(c, `/v1/conflicts?limit=3&after=${page1.after}`)).body;
    expect(page2.conflicts.map((x: { attemptedUserId: string }) => x.attemptedUserId)).toEqual(['other-3', 'other-4']);
    expect(page2.after).toBeNull();
    expect(page2.conflicts[0]).toEqual({ anonymousId: 'shared', userId: 'first', attemptedUserId: 'other-3', at: expect.stringMatching(ISO), reason: 'relinked' });
  });

  it('with a dashboard token, the query API and dashboard need it; ingest and health do not', async () => {
    const c = await harness.collector(kind, { dashboardToken: 's3cret' });
    expect((await put(c, [page('a')])).status).toBe(200);
    expect((await get(c, '/healthz')).status).toBe(200);
    for (const url of ['/v1/stats', '/v1/anonymous/a', '/v1/conflicts', '/']) {
      const refused = await c.app.inject(url);
      expect(refused.statusCode, url).toBe(401);
      expect(refused.json().reason).toMatch(/dashboard token/);
      expect((await c.app.inject({ url, headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await c.app.inject({ url, headers: { authorization: 'Bearer s3cret' } })).statusCode, url).toBe(200);
      expect((await c.app.inject(`${url}${url.includes('?') ? '&' : '?'}token=s3cret`)).statusCode, url).toBe(200);
    }
  });

  it('GET / is the dashboard page, which loads its script as a file (more in dashboard.test.ts)', async () => {
    const c = await harness.collector(kind);
    const response = await c.app.inject('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.body).toContain('<script type="module" src="dashboard/app.js"></script>');
  });
});

describe('dashboard token off loopback', () => {
  it('is required: the collector will not start on 0.0.0.0 without it', async () => {
    const database = await harness.database('sqlite');
    await expect(createCollector({ host: '0.0.0.0', database })).rejects.toThrow(/dashboardToken is required .*non-loopback/);
    const c: Collector = await createCollector({ host: '0.0.0.0', port: 0, database, dashboardToken: 't', logLevel: 'silent' });
    await c.close();
  });
});
