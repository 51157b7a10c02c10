/**
 * The identity rules of README "The collector", one table row per rule, run on
 * both stores. Each row sends its batches (in order, one request each) and
 * checks what the query API says.
 */
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import {
  apiCall, get, group, identify, msg, page, send, STORE_KINDS, track, useHarness, type Msg,
} from './helpers.js';

const harness = useHarness();

interface Rule {
  rule: string;
  options?: { megaUserLimit?: number; megaUserWindowMs?: number };
  batches: () => Msg[][];
  check: (c: Collector) => Promise<void>;
}

const profile = async (c: Collector, userId: string) => {
  const { status, body } = await get(c, `/v1/users/${encodeURIComponent(userId)}`);
  expect(status).toBe(200);
  return body;
};
const timeline = async (c: Collector, userId: string) => (await get(c, `/v1/users/${encodeURIComponent(userId)}/events?limit=1000`)).body.events as Msg[];

const rules: Rule[] = [
  {
    rule: 'identify links the anonymous id to the user, for events before and after',
    batches: () => [[page('a1'), track({ anonymousId: 'a1' }, 'Viewed Pricing')], [identify('a1', 'u1')], [track({ anonymousId: 'a1' }, 'Clicked')]],
    check: async (c) => {
      const p = await profile(c, 'u1');
      expect(p.anonymousIds).toEqual(['a1']);
      expect(p.eventCount).toBe(4);
      expect((await timeline(c, 'u1')).map((e) => e.event ?? e.type)).toEqual(['page', 'Viewed Pricing', 'identify', 'Clicked']);
      expect((await get(c, '/v1/anonymous/a1')).body).toEqual({ anonymousId: 'a1', userId: 'u1' });
    },
  },
  {
    rule: 'late identify: events that arrived first are attributed once the identify arrives',
    batches: () => [[track({ anonymousId: 'late' }, 'Signed Up')], [page('late')]],
    check: async (c) => {
      expect((await get(c, '/v1/anonymous/late')).body.userId).toBeNull();
      expect((await send(c, [identify('late', 'u-late', {}, { timestamp: '2024-01-01T00:00:00.000Z' })])).status).toBe(200);
      const p = await profile(c, 'u-late');
      expect(p.eventCount).toBe(3);
      // Oldest first by event time: the identify was made before the events it arrived after.
      expect((await timeline(c, 'u-late')).map((e) => e.type)).toEqual(['identify', 'track', 'page']);
    },
  },
  {
    rule: 'one user owns many anonymous ids (devices)',
    batches: () => [[page('laptop'), identify('laptop', 'u2')], [page('phone'), identify('phone', 'u2')], [page('tablet')], [identify('tablet', 'u2')]],
    check: async (c) => {
      const p = await profile(c, 'u2');
      expect([...(p.anonymousIds as string[])].sort()).toEqual(['laptop', 'phone', 'tablet']);
      expect(p.eventCount).toBe(6);
      expect((await get(c, '/v1/stats')).body).toEqual({ events: 6, users: 1, identifiedUsers: 1, anonymousVisitors: 0 });
    },
  },
  {
    rule: 'an anonymous id linked to one user is never re-linked; the attempt is a recorded conflict',
    batches: () => [[page('shared'), identify('shared', 'alice')], [identify('shared', 'bob'), track({ anonymousId: 'shared' }, 'After')]],
    check: async (c) => {
      expect((await get(c, '/v1/anonymous/shared')).body.userId).toBe('alice');
      expect((await profile(c, 'alice')).anonymousIds).toEqual(['shared']);
      expect((await profile(c, 'bob')).anonymousIds).toEqual([]);
      // The anonymous-only event stays with alice; bob keeps only his own explicit identify.
      expect((await profile(c, 'alice')).eventCount).toBe(3);
      expect((await profile(c, 'bob')).eventCount).toBe(1);
      const { body } = await get(c, '/v1/conflicts');
      expect(body.conflicts).toHaveLength(1);
      expect(body.conflicts[0]).toMatchObject({ anonymousId: 'shared', userId: 'alice', attemptedUserId: 'bob' });
      expect(Date.parse(body.conflicts[0].at)).not.toBeNaN();
    },
  },
  {
    rule: 'the same identify again merges traits and records no conflict',
    batches: () => [[identify('a3', 'u3', { plan: 'free' })], [identify('a3', 'u3', { seats: 3 })]],
    check: async (c) => {
      expect((await profile(c, 'u3')).traits).toEqual({ plan: 'free', seats: 3 });
      expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
    },
  },
  {
    rule: 'traits merge per key, the newest event time wins even when it arrives first',
    batches: () => [
      [identify('a4', 'u4', { plan: 'pro', name: 'New' }, { timestamp: '2024-03-02T00:00:00.000Z' })],
      [identify('a4', 'u4', { plan: 'free', email: 'x@example.com' }, { timestamp: '2024-03-01T00:00:00.000Z' })],
    ],
    check: async (c) => {
      expect((await profile(c, 'u4')).traits).toEqual({ plan: 'pro', name: 'New', email: 'x@example.com' });
    },
  },
  {
    rule: 'traits set while anonymous reach the user once linked',
    batches: () => [[msg('identify', { anonymousId: 'a5', traits: { referrer: 'ad', plan: 'trial' } })], [identify('a5', 'u5', { plan: 'pro' })]],
    check: async (c) => {
      expect((await profile(c, 'u5')).traits).toEqual({ referrer: 'ad', plan: 'pro' });
    },
  },
  {
    rule: 'group links a user to a company directly',
    batches: () => [[identify('a6', 'u6'), group({ userId: 'u6', anonymousId: 'a6' }, 'acme', { name: 'Acme' })]],
    check: async (c) => {
      expect((await profile(c, 'u6')).companyId).toBe('acme');
      expect((await get(c, '/v1/companies/acme')).body).toEqual({ companyId: 'acme', traits: { name: 'Acme' }, userIds: ['u6'], eventCount: 2 });
    },
  },
  {
    rule: 'group through a linked anonymous id (grouped before login)',
    batches: () => [[page('a7'), group({ anonymousId: 'a7' }, 'initech')], [identify('a7', 'u7')]],
    check: async (c) => {
      expect((await profile(c, 'u7')).companyId).toBe('initech');
      expect((await get(c, '/v1/companies/initech')).body).toMatchObject({ userIds: ['u7'], eventCount: 3 });
    },
  },
  {
    rule: 'a company owns all its users\' web and API traffic',
    batches: () => [
      [page('w1'), identify('w1', 'dev1'), group({ userId: 'dev1' }, 'globex')],
      [apiCall({ userId: 'dev1' }), apiCall({ userId: 'dev1' })],
      [page('w2'), identify('w2', 'dev2'), group({ userId: 'dev2' }, 'globex'), apiCall({ anonymousId: 'w2' })],
      [page('stranger'), apiCall({ userId: 'other' })],
    ],
    check: async (c) => {
      const company = (await get(c, '/v1/companies/globex')).body;
      expect(company.userIds).toEqual(['dev1', 'dev2']);
      expect(company.eventCount).toBe(9);
      expect((await profile(c, 'dev1')).sources).toEqual({ web: 3, api: 2 });
      expect((await profile(c, 'dev2')).sources).toEqual({ web: 3, api: 1 });
    },
  },
  {
    rule: 'the newest group wins: a user belongs to one company at a time',
    batches: () => [[group({ userId: 'mover' }, 'old-co', {}), group({ userId: 'mover' }, 'new-co', {})]],
    check: async (c) => {
      expect((await profile(c, 'mover')).companyId).toBe('new-co');
      expect((await get(c, '/v1/companies/old-co')).body.userIds).toEqual([]);
      expect((await get(c, '/v1/companies/new-co')).body.userIds).toEqual(['mover']);
    },
  },
  {
    rule: 'sources: idstitch is web, idstitch-node is api, other Segment libraries by runtime',
    batches: () => {
      const lib = (name?: string) => ({ context: name === undefined ? {} : { library: { name, version: '1' } } });
      return [[
        track({ userId: 'src' }, 'a', lib('idstitch')),
        track({ userId: 'src' }, 'b', lib('analytics.js')),
        track({ userId: 'src' }, 'c', lib('analytics-next')),
        track({ userId: 'src' }, 'd', lib('analytics-ios')),
        track({ userId: 'src' }, 'e', lib('idstitch-node')),
        track({ userId: 'src' }, 'f', lib('analytics-node')),
        track({ userId: 'src' }, 'g', lib('analytics-python')),
        track({ userId: 'src' }, 'h', lib('analytics-go')),
        track({ userId: 'src' }, 'i', lib()),
      ]];
    },
    check: async (c) => {
      expect((await profile(c, 'src')).sources).toEqual({ web: 4, api: 5 });
      expect((await timeline(c, 'src')).map((e) => e.source)).toEqual(['web', 'web', 'web', 'web', 'api', 'api', 'api', 'api', 'api']);
    },
  },
  {
    rule: 'mega-user: more anonymous ids than the limit within the window flags the profile',
    options: { megaUserLimit: 3, megaUserWindowMs: 3_600_000 },
    batches: () => [
      ['d1', 'd2', 'd3'].map((a) => identify(a, 'steady')),
      ['m1', 'm2', 'm3', 'm4'].map((a) => identify(a, 'mega')),
    ],
    check: async (c) => {
      expect((await profile(c, 'steady')).flags).toEqual([]);
      expect((await profile(c, 'mega')).flags).toEqual(['mega-user']);
    },
  },
  {
    rule: 'mega-user default: 51 anonymous ids in an hour',
    batches: () => [
      Array.from({ length: 50 }, (_, i) => identify(`fifty-${i}`, 'fifty')),
      Array.from({ length: 51 }, (_, i) => identify(`many-${i}`, 'shared-login')),
    ],
    check: async (c) => {
      expect((await profile(c, 'fifty')).flags).toEqual([]);
      expect((await profile(c, 'shared-login')).flags).toEqual(['mega-user']);
    },
  },
  {
    rule: 'alias links previousId to userId, under the same never-re-link rule',
    batches: () => [
      [page('mobile-anon'), msg('alias', { previousId: 'mobile-anon', userId: 'u8' })],
      [msg('alias', { previousId: 'mobile-anon', userId: 'u9' })],
    ],
    check: async (c) => {
      expect((await get(c, '/v1/anonymous/mobile-anon')).body.userId).toBe('u8');
      expect((await profile(c, 'u8')).eventCount).toBe(2);
      expect((await get(c, '/v1/conflicts')).body.conflicts).toMatchObject([{ anonymousId: 'mobile-anon', userId: 'u8', attemptedUserId: 'u9' }]);
    },
  },
  {
    rule: 'screen is stored like page',
    batches: () => [[msg('screen', { anonymousId: 'app', name: 'Home' }), track({ anonymousId: 'app' }, 'Tapped'), identify('app', 'u10')]],
    check: async (c) => {
      const events = await timeline(c, 'u10');
      expect(events[0]).toMatchObject({ type: 'screen', name: 'Home' });
      expect((await get(c, '/v1/funnel?steps=page,Tapped')).body.steps).toEqual([{ step: 'page', users: 1 }, { step: 'Tapped', users: 1 }]);
    },
  },
  {
    rule: 'stats: a visitor later identified counts once, as the user',
    batches: () => [[page('v1'), page('v2'), page('v3')], [identify('v1', 'alice'), identify('v2', 'alice'), apiCall({ userId: 'bob' })]],
    check: async (c) => {
      expect((await get(c, '/v1/stats')).body).toEqual({ events: 6, users: 3, identifiedUsers: 2, anonymousVisitors: 1 });
    },
  },
  {
    rule: 'a repeated messageId stores nothing and changes nothing',
    batches: () => {
      const first = identify('a11', 'u11', { plan: 'pro' });
      return [[first], [{ ...first, userId: 'intruder', traits: { plan: 'hacked' } }]];
    },
    check: async (c) => {
      expect((await profile(c, 'u11')).traits).toEqual({ plan: 'pro' });
      expect((await get(c, '/v1/users/intruder')).status).toBe(404);
      expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
      expect((await get(c, '/v1/stats')).body.events).toBe(1);
    },
  },
  {
    rule: 'an event naming its own userId belongs to that user even on another user\'s device',
    batches: () => [[identify('kiosk', 'first')], [track({ anonymousId: 'kiosk', userId: 'second' }, 'Explicit')]],
    check: async (c) => {
      expect((await profile(c, 'first')).eventCount).toBe(1);
      expect((await timeline(c, 'second')).map((e) => e.event)).toEqual(['Explicit']);
    },
  },
];

describe.each(STORE_KINDS)('identity rules on %s', (kind) => {
  it.each(rules)('$rule', async ({ options, batches, check }) => {
    const c = await harness.collector(kind, options);
    for (const batch of batches()) {
      const answer = await send(c, batch);
      expect(answer).toMatchObject({ status: 200, body: { ok: true } });
      expect(answer.body.rejected).toBeUndefined();
    }
    await check(c);
  });
});
