/**
 * Verified identity (README "Verified identity"), over HTTP on both stores:
 * with an identity secret set, a browser's `userId` counts only with a valid
 * token for it; a forged identify or track leaves the victim's profile,
 * timeline, company, funnel and user count as they were; the server write
 * key is trusted; tokens are never stored; bad tokens never fail a batch.
 */
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { makeIdentityToken } from '../../src/node/identityToken.js';
import { signIdentity } from '../../src/server/index.js';
import { apiCall, get, group, identify, page, send, STORE_KINDS, track, useHarness, type Msg, type StoreKind } from './helpers.js';

const harness = useHarness();

const SECRET = 'a-secret-of-at-least-16-chars';
const OLD_SECRET = 'the-secret-before-the-rotation';
const SERVER_KEY = 'server-write-key-123';
const withToken = (m: Msg, token: unknown): Msg => ({ ...m, context: { ...(m.context as Msg), identityToken: token } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * What a forged message could change: the victim's profile, timeline,
 * company, funnel steps (the first times the funnel counts the victim by)
 * and the user count.
 */
async function victimView(c: Collector) {
  const [profile, timeline, company, stats] = await Promise.all([
    get(c, '/v1/users/victim'), get(c, '/v1/users/victim/events?limit=100'), get(c, '/v1/companies/acme'), get(c, '/v1/stats'),
  ]);
  const funnelSteps = await c.store.reader.all("SELECT step, ts FROM first_steps_by_key WHERE principal = 'u:victim' ORDER BY step");
  return { profile: profile.body, timeline: timeline.body, company: company.body, funnelSteps, users: stats.body.identifiedUsers };
}

/** A collector with verification on, and a victim who logged in properly (a signed identify), joined Acme and signed up. */
async function withVictim(kind: StoreKind): Promise<Collector> {
  const c = await harness.collector(kind, { identitySecrets: [SECRET, OLD_SECRET], serverWriteKeys: [SERVER_KEY] });
  const token = signIdentity(SECRET, 'victim');
  const answer = await send(c, [
    page('victim-device'),
    withToken(identify('victim-device', 'victim', { email: 'victim@example.com' }), token),
    withToken(group({ anonymousId: 'victim-device', userId: 'victim' }, 'acme', { name: 'Acme' }), token),
    withToken(track({ anonymousId: 'victim-device', userId: 'victim' }, 'Signed Up'), token),
  ]);
  expect(answer.body).toEqual({ ok: true });
  return c;
}

describe.each(STORE_KINDS)('verified identity (%s)', (kind) => {
  it('a forged identify, track and group leave the victim as they were; the claims are listed as unverified conflicts', async () => {
    const c = await withVictim(kind);
    const before = await victimView(c);
    expect(before.profile).toMatchObject({ userId: 'victim', anonymousIds: ['victim-device'], companyId: 'acme', eventCount: 4 });

    const forged = await send(c, [
      page('attacker'),
      identify('attacker', 'victim', { email: 'attacker@example.com' }),
      track({ anonymousId: 'attacker', userId: 'victim' }, 'Signed Up', { context: { groupId: 'acme' } }),
      group({ anonymousId: 'attacker', userId: 'victim' }, 'acme', { name: 'Pwned' }),
      track({ userId: 'victim' }, 'Signed Up'),
    ]);
    // Stored as the attacker's anonymous id's, except the one with no anonymous id to store it under.
    expect(forged.body).toEqual({ ok: true, rejected: [{ index: 4, reason: 'unverified' }] });
    expect(await victimView(c)).toEqual(before);
    // The attacker is a visitor of their own in the funnel, as any anonymous one.
    expect((await get(c, '/v1/funnel?steps=page,Signed%20Up')).body.steps.map((step: { users: number }) => step.users)).toEqual([2, 2]);

    expect((await get(c, '/v1/anonymous/attacker')).body).toEqual({ anonymousId: 'attacker', userId: null });
    const stored = await c.store.reader.all<{ user_id: string | null; group_id: string | null }>("SELECT user_id, group_id FROM events WHERE anonymous_id = 'attacker'");
    expect(stored).toEqual(Array.from({ length: 4 }, () => ({ user_id: null, group_id: null })));
    const traits = await c.store.reader.all<{ subject_kind: string; subject_id: string; key: string; value: string }>(
      "SELECT subject_kind, subject_id, key, value FROM traits WHERE value LIKE '%attacker%' OR value LIKE '%Pwned%'");
    expect(traits).toEqual([{ subject_kind: 'anon', subject_id: 'attacker', key: 'email', value: '"attacker@example.com"' }]);
    const { conflicts } = (await get(c, '/v1/conflicts')).body as { conflicts: Record<string, unknown>[] };
    expect(conflicts).toEqual([{ anonymousId: 'attacker', userId: null, attemptedUserId: 'victim', at: expect.any(String), reason: 'unverified' }]);
  });

  it('refuses an expired token, a token for another user, one signed with a secret no longer configured, and garbage; accepts both secrets of a rotation', async () => {
    const c = await withVictim(kind);
    const before = await victimView(c);
    const bad: [string, unknown][] = [
      ['expired', makeIdentityToken(SECRET, 'victim', nowSeconds() - 1)],
      ['for another user', signIdentity(SECRET, 'attacker')],
      ['rotated out', signIdentity('a-secret-retired-long-ago', 'victim')],
      ['over 512 characters', `v1.${'a'.repeat(600)}`],
      ['malformed', 'not-a-token'],
      ['a number', 42],
      ['an object', { forged: true }],
      ['the right mac, a changed expiry', signIdentity(SECRET, 'victim').replace(/^v1\.[0-9a-z]+\./, `v1.${(nowSeconds() + 10 ** 8).toString(36)}.`)],
    ];
    for (const [what, token] of bad) {
      const answer = await send(c, [withToken(track({ anonymousId: `device-${what}`, userId: 'victim' }, 'Signed Up'), token)]);
      expect(answer.body, what).toEqual({ ok: true });
    }
    expect(await victimView(c)).toEqual(before);
    const conflicts = (await get(c, '/v1/conflicts?limit=100')).body.conflicts as { anonymousId: string; reason: string }[];
    expect(conflicts.map((x) => [x.anonymousId, x.reason])).toEqual(bad.map(([what]) => [`device-${what}`, 'unverified']));

    // A second device of the victim's, with a token signed under the old secret: linked.
    await send(c, [withToken(identify('victim-phone', 'victim'), signIdentity(OLD_SECRET, 'victim'))]);
    expect((await get(c, '/v1/users/victim')).body.anonymousIds).toEqual(['victim-device', 'victim-phone']);
    // A sibling subdomain shares the ids through the cookie but not the token: its messages still reach the
    // victim through the verified link, and are no conflict.
    await send(c, [track({ anonymousId: 'victim-phone', userId: 'victim' }, 'Docs Read')]);
    expect((await get(c, '/v1/users/victim')).body.eventCount).toBe(6);
    expect((await get(c, '/v1/conflicts?limit=100')).body.conflicts).toHaveLength(bad.length);
  });

  it('a claim made before its verified login (a sibling subdomain\'s page, a held-back identify) is no conflict once the login lands', async () => {
    const c = await withVictim(kind);
    await send(c, [track({ anonymousId: 'victim-laptop', userId: 'victim' }, 'Docs Read')]);
    expect((await get(c, '/v1/conflicts')).body.conflicts).toHaveLength(1);
    await send(c, [withToken(identify('victim-laptop', 'victim'), signIdentity(SECRET, 'victim'))]);
    expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
    // The claim's event, stored as the laptop's, is the victim's through the link.
    expect((await get(c, '/v1/users/victim')).body).toMatchObject({ anonymousIds: ['victim-device', 'victim-laptop'], eventCount: 6 });
  });

  it('trusts a batch under a server write key without tokens; a token on a message without a user id is ignored', async () => {
    const c = await withVictim(kind);
    const server = await send(c, [apiCall({ anonymousId: 'victim-device', userId: 'victim' }), apiCall({ userId: 'victim' })], { writeKey: SERVER_KEY });
    expect(server.body).toEqual({ ok: true });
    const anonymousWithToken = await send(c, [withToken(page('someone'), 'v1.whatever.garbage')]);
    expect(anonymousWithToken.body).toEqual({ ok: true });
    expect((await get(c, '/v1/users/victim')).body).toMatchObject({ eventCount: 6, sources: { web: 4, api: 2 } });
    expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
  });

  it('never stores a token, verified or not, verification on or off', async () => {
    for (const options of [{ identitySecrets: [SECRET] }, {}]) {
      const c = await harness.collector(kind, options);
      const token = signIdentity(SECRET, 'u1');
      await send(c, [withToken(identify('d1', 'u1'), token), withToken(track({ anonymousId: 'd2', userId: 'u2' }, 'X'), token)]);
      const rows = await c.store.reader.all<{ body: string }>('SELECT body FROM events');
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.body).not.toContain(token.split('.')[2]);
      expect(rows.map((r) => JSON.parse(r.body).context)).toEqual([{ library: expect.any(Object) }, { library: expect.any(Object) }]);
    }
  });

  it('with verification off, user ids count as before', async () => {
    const c = await harness.collector(kind);
    expect((await send(c, [identify('d1', 'u1'), track({ userId: 'u1' }, 'X')])).body).toEqual({ ok: true });
    expect((await get(c, '/v1/users/u1')).body).toMatchObject({ anonymousIds: ['d1'], eventCount: 2 });
  });
});
