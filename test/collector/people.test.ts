/**
 * The People directory (README "People") on both stores: `GET /v1/users`,
 * `/v1/companies` and `/v1/anonymous` (order, paging, prefix search with
 * ids and names full of LIKE and quoting characters, clear 400s), the kept
 * summary rows against the profiles and a brute-force recount (links that
 * merge histories, erasure, a restart, an upgrade that derives them), and
 * `GET /v1/users/:userId/export` against the timeline route.
 */
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { FEW_MATCHES, type CompanyListing, type UserListing } from '../../src/collector/directory.js';
import { exportUser } from '../../src/collector/export.js';
import { Queries } from '../../src/collector/query.js';
import { signIdentity } from '../../src/server/index.js';
import { random } from './fuzz.js';
import { apiCall, get, group, identify, msg, nextTime, page, rewindToVersion10, send, sendInRandomBatches, STORE_KINDS, track, useHarness, type Msg, type StoreKind } from './helpers.js';
import { SCHEMA_VERSION } from '../../src/collector/store/schema.js';

const harness = useHarness();

/** Every page of a list, following `after` with `limit` a page. */
async function allPages<T>(c: Collector, path: string, key: string, limit: number, query = ''): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const params = new URLSearchParams({ limit: String(limit) });
    if (query) params.set('query', query);
    if (after) params.set('after', after);
    const { status, body } = await get<Record<string, unknown>>(c, `${path}?${params}`);
    expect(status, JSON.stringify(body)).toBe(200);
    const rows = body[key] as T[];
    expect(rows.length).toBeLessThanOrEqual(limit);
    out.push(...rows);
    after = body.after as string | null;
    if (!after) return out;
    expect(rows).toHaveLength(limit);
  }
  throw new Error('paging did not end');
}

const userIds = async (c: Collector, query: string) =>
  (await allPages<UserListing>(c, '/v1/users', 'users', 100, query)).map((u) => u.userId).sort();

/** Users whose ids, names and emails hold what LIKE, JSON and SQL quoting treat specially. */
const AWKWARD: { id: string; traits: Msg }[] = [
  { id: '50%_off', traits: { displayName: 'Percent Person' } },
  { id: '50x_off', traits: {} },
  { id: 'a_b', traits: {} },
  { id: 'axb', traits: {} },
  { id: 'back\\slash', traits: { email: 'Back\\Slash@Example.com' } },
  { id: "o'brien", traits: { displayName: "Dara O'Brien", email: 'dara@example.ie' } },
  { id: '"quoted"', traits: { displayName: '"Quoted" Name' } },
  { id: 'Zoë', traits: { displayName: 'zoë', email: 'ZOE@EXAMPLE.COM' } },
  { id: 'ada', traits: { displayName: 'Ada Lovelace', email: 'ada@example.com' } },
  { id: 'ADAM', traits: { displayName: 'Adam', email: 'adam@Example.com' } },
  { id: 'ben', traits: { displayName: 42 } },
];

async function awkwardUsers(kind: StoreKind): Promise<Collector> {
  const c = await harness.collector(kind);
  const batch = AWKWARD.flatMap(({ id, traits }, i) => [page(`dev-${i}`), identify(`dev-${i}`, id, traits)]);
  expect((await send(c, batch)).body).toEqual({ ok: true });
  return c;
}

describe.each(STORE_KINDS)('GET /v1/users (%s)', (kind) => {
  it('lists identified users newest lastSeen first with their display name, email, company, counts and devices', async () => {
    const c = await harness.collector(kind);
    await send(c, [page('laptop'), identify('laptop', 'early', { displayName: 'Early Bird', email: 'early@example.com' })]);
    await send(c, [page('phone'), identify('phone', 'late', { displayName: 'Late' }), group({ userId: 'late' }, 'acme', { name: 'Acme' })]);
    await send(c, [page('tablet'), identify('tablet', 'late'), page('lone')]);
    const { body } = await get(c, '/v1/users');
    expect(body.after).toBeNull();
    expect(body.users).toEqual([
      { userId: 'late', displayName: 'Late', email: null, companyId: 'acme', firstSeen: expect.any(String), lastSeen: expect.any(String), eventCount: 5, anonymousIds: ['phone', 'tablet'] },
      { userId: 'early', displayName: 'Early Bird', email: 'early@example.com', companyId: null, firstSeen: expect.any(String), lastSeen: expect.any(String), eventCount: 2, anonymousIds: ['laptop'] },
    ]);
    // The same figures the profile shows.
    for (const listed of body.users as UserListing[]) {
      const profile = (await get(c, `/v1/users/${listed.userId}`)).body;
      expect(listed).toMatchObject({ firstSeen: profile.firstSeen, lastSeen: profile.lastSeen, eventCount: profile.eventCount, companyId: profile.companyId, anonymousIds: profile.anonymousIds });
    }
  });

  it('matches the start of the id, display name or email, A-Z case-insensitively; %, _, \\ and quotes are plain characters', async () => {
    const c = await awkwardUsers(kind);
    expect(await userIds(c, '50%')).toEqual(['50%_off']);
    expect(await userIds(c, '50')).toEqual(['50%_off', '50x_off']);
    expect(await userIds(c, 'a_')).toEqual(['a_b']);
    expect(await userIds(c, '_')).toEqual([]);
    expect(await userIds(c, '%')).toEqual([]);
    expect(await userIds(c, 'back\\')).toEqual(['back\\slash']);
    expect(await userIds(c, 'back\\\\')).toEqual([]);
    expect(await userIds(c, 'Back\\Slash@')).toEqual(['back\\slash']);
    expect(await userIds(c, "O'B")).toEqual(["o'brien"]);
    expect(await userIds(c, "dara o'")).toEqual(["o'brien"]);
    expect(await userIds(c, "'")).toEqual([]);
    expect(await userIds(c, '"quo')).toEqual(['"quoted"']);
    expect(await userIds(c, '"Quoted" N')).toEqual(['"quoted"']);
    expect(await userIds(c, 'ADA')).toEqual(['ADAM', 'ada']);
    expect(await userIds(c, 'ada@')).toEqual(['ada']);
    expect(await userIds(c, 'adam@example.')).toEqual(['ADAM']);
    expect(await userIds(c, 'lovelace')).toEqual([]); // the start only
    expect(await userIds(c, 'zoe@')).toEqual(['Zoë']);
    expect(await userIds(c, 'zoë')).toEqual(['Zoë']);
    // A non-string display name is shown as its JSON, and is not searched.
    expect(await userIds(c, '4')).toEqual([]);
    expect((await get(c, '/v1/users?query=ben')).body.users[0].displayName).toBe('42');
    expect((await get(c, `/v1/users?query=${encodeURIComponent('"')}`)).body.users.map((u: UserListing) => u.userId)).toEqual(['"quoted"']);
  });

  it('pages by cursor: every user exactly once, in order, whatever the page size; bad limits and cursors are 400s with a reason', async () => {
    const c = await awkwardUsers(kind);
    const everyone = await allPages<UserListing>(c, '/v1/users', 'users', 100);
    expect(everyone.map((u) => u.userId).sort()).toEqual(AWKWARD.map((u) => u.id).sort());
    const times = everyone.map((u) => Date.parse(u.lastSeen!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const limit of [1, 2, 3, 5]) expect(await allPages(c, '/v1/users', 'users', limit)).toEqual(everyone);
    // Search pages too.
    expect(await allPages(c, '/v1/users', 'users', 1, 'a')).toEqual(everyone.filter((u) => /^a/i.test(u.userId)));

    for (const limit of ['0', '101', 'x', '1.5', '-1']) {
      expect(await get(c, `/v1/users?limit=${limit}`)).toEqual({ status: 400, body: { ok: false, reason: 'limit must be a whole number from 1 to 100' } });
    }
    for (const after of ['nonsense', '12', '12.$$', 'abc.abc']) {
      expect(await get(c, `/v1/users?after=${encodeURIComponent(after)}`)).toEqual({ status: 400, body: { ok: false, reason: 'after must be the "after" of a previous page of this list' } });
    }
    expect((await get(c, `/v1/users?query=${'x'.repeat(256)}`)).status).toBe(400);
    // A repeated parameter is a list, not a string: a 400 that says so, never a 500.
    expect(await get(c, '/v1/users?query=a&query=b')).toEqual({ status: 400, body: { ok: false, reason: 'query must be given once' } });
    expect(await get(c, '/v1/companies?after=a&after=b')).toEqual({ status: 400, body: { ok: false, reason: 'after must be given once' } });
  });
});

describe.each(STORE_KINDS)('search with many matches and with few (%s)', (kind) => {
  it(`answers alike whether it reads the matches from the search indexes (under ${FEW_MATCHES} a column) or filters the list's order`, async () => {
    const c = await harness.collector(kind);
    // 1,200 users whose ids share a prefix, their names another, half their emails a third; a few others.
    const batch = Array.from({ length: 1200 }, (_, i) => identify(`bd-${i}`, `Bulk-${String(i).padStart(4, '0')}`,
      { displayName: `Many ${i % 7}`, ...(i % 2 ? { email: `half${i}@x.test` } : {}) }));
    batch.push(identify('bd-x', 'bulky', { displayName: 'Other' }), identify('bd-y', 'many-sided'));
    for (let i = 0; i < batch.length; i += 400) expect((await send(c, batch.slice(i, i + 400))).status).toBe(200);
    const everyone = await allPages<UserListing>(c, '/v1/users', 'users', 100);
    const expected = (test: (u: UserListing) => boolean) => everyone.filter(test).map((u) => u.userId);
    for (const [query, test] of [
      ['bulk', (u: UserListing) => u.userId.toLowerCase().startsWith('bulk')], // many ids
      ['bulk-00', (u: UserListing) => u.userId.startsWith('Bulk-00')], // few
      ['MANY 3', (u: UserListing) => u.displayName === 'Many 3'], // few names (under the bound), among many users
      ['many', (u: UserListing) => /^many/i.test(u.userId) || /^many/i.test(u.displayName ?? '')], // many names, one id
      ['half1', (u: UserListing) => (u.email ?? '').startsWith('half1')], // few emails
    ] as const) {
      for (const limit of [100, 37]) {
        expect((await allPages<UserListing>(c, '/v1/users', 'users', limit, query)).map((u) => u.userId), `${query} by ${limit}`).toEqual(expected(test));
      }
    }
  });
});

describe.each(STORE_KINDS)('GET /v1/companies and /v1/anonymous (%s)', (kind) => {
  it('lists companies by id with their name and user count; searches id or name; pages', async () => {
    const c = await harness.collector(kind);
    await send(c, [
      identify('d1', 'u1'), identify('d2', 'u2'), identify('d3', 'u3'),
      group({ userId: 'u1' }, 'acme_inc', { name: 'Acme' }), group({ userId: 'u2' }, 'acme_inc'),
      group({ userId: 'u3' }, 'ACMEX', { name: "Bob's 100% Widgets" }),
      group({ anonymousId: 'lone' }, 'beta', {}),
    ]);
    // u2 moves on: its newest membership names ACMEX.
    await send(c, [group({ userId: 'u2' }, 'ACMEX')]);
    const all = await allPages<CompanyListing>(c, '/v1/companies', 'companies', 1);
    expect(all).toEqual([
      { companyId: 'acme_inc', name: 'Acme', userCount: 1 },
      { companyId: 'ACMEX', name: "Bob's 100% Widgets", userCount: 2 },
      { companyId: 'beta', name: null, userCount: 0 },
    ]);
    for (const listed of all) expect((await get(c, `/v1/companies/${listed.companyId}`)).body.userIds).toHaveLength(listed.userCount);
    const search = async (query: string) => (await allPages<CompanyListing>(c, '/v1/companies', 'companies', 100, query)).map((co) => co.companyId);
    expect(await search('acme')).toEqual(['acme_inc', 'ACMEX']);
    expect(await search('acme_')).toEqual(['acme_inc']);
    expect(await search("bob's 100%")).toEqual(['ACMEX']);
    expect(await search('100')).toEqual([]);
    expect((await get(c, '/v1/companies?after=***')).status).toBe(400);
  });

  it('lists the visitors not identified, newest first; an identify moves a visitor, with its history, to its user', async () => {
    const c = await harness.collector(kind);
    await send(c, [page('v1'), page('v1'), page('v2'), page('v3'), track({ anonymousId: 'v3' }, 'Clicked')]);
    const anonymous = await allPages<{ anonymousId: string; eventCount: number }>(c, '/v1/anonymous', 'anonymous', 2);
    expect(anonymous.map((a) => [a.anonymousId, a.eventCount])).toEqual([['v3', 2], ['v2', 1], ['v1', 2]]);
    await send(c, [identify('v1', 'found')]);
    expect((await get(c, '/v1/anonymous')).body.anonymous.map((a: { anonymousId: string }) => a.anonymousId)).toEqual(['v3', 'v2']);
    expect((await get(c, '/v1/users')).body.users).toMatchObject([{ userId: 'found', eventCount: 3, anonymousIds: ['v1'] }]);
    expect((await get(c, '/v1/anonymous?limit=0')).status).toBe(400);
    expect((await get(c, '/v1/anonymous?query=v')).body.reason).toBe('the anonymous list has no query; open one visitor with /v1/anonymous/:anonymousId');
  });
});

/** A random history over a few people and devices, with names, emails, companies, late identifies, aliases, API calls and retries. */
function history(seed: number, n: number): Msg[] {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const anons = Array.from({ length: 60 }, (_, i) => `a${seed}-${i}`);
  const users = Array.from({ length: 15 }, (_, i) => `u${seed}_${i}%`);
  const out: Msg[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const anonymousId = pick(anons);
    if (r < 0.3) out.push(page(anonymousId));
    else if (r < 0.45) out.push(track({ anonymousId }, 'Docs Read'));
    else if (r < 0.55) out.push(apiCall({ userId: pick(users) }));
    else if (r < 0.65) out.push(identify(anonymousId, pick(users), { displayName: `Name ${Math.floor(rand() * 5)}` }));
    else if (r < 0.72) out.push(msg('identify', { anonymousId, traits: { email: `E${Math.floor(rand() * 9)}@x.com`, displayName: `Anon ${i}` } }));
    else if (r < 0.78) out.push(msg('alias', { previousId: pick(anons), userId: pick(users) }));
    else if (r < 0.86) out.push(group(rand() < 0.5 ? { userId: pick(users) } : { anonymousId }, pick(['c1', 'c2', 'c3']), { name: `Co ${i}` }));
    else if (r < 0.93) out.push(identify(undefined, pick(users), { email: `u${i}@y.com` }));
    else if (out.length) out.push(out[Math.floor(rand() * out.length)]!);
    else out.push(page(anonymousId));
  }
  return out;
}

const sendAll = (c: Collector, messages: readonly Msg[], seed: number) => sendInRandomBatches(c, messages, seed * 13 + 5, 20, 5);

const show = (value: unknown) => (value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value));

/** What the lists must say, from the profile routes (which count from the events) and from the tables by brute force. */
async function expectListsExact(c: Collector): Promise<void> {
  const listed = await allPages<UserListing>(c, '/v1/users', 'users', 7);
  const stored = await c.store.reader.all<{ user_id: string }>('SELECT user_id FROM users');
  expect(listed.map((u) => u.userId).sort()).toEqual(stored.map((u) => u.user_id).sort());
  for (const user of listed) {
    const profile = (await get(c, `/v1/users/${encodeURIComponent(user.userId)}`)).body;
    expect(user, user.userId).toEqual({
      userId: profile.userId, displayName: show(profile.traits.displayName), email: show(profile.traits.email), companyId: profile.companyId,
      firstSeen: profile.firstSeen, lastSeen: profile.lastSeen, eventCount: profile.eventCount, anonymousIds: profile.anonymousIds,
    });
  }
  // Brute force: every event attributed under the stored links, grouped.
  const attributed = await c.store.reader.all<{ kind: string; id: string; n: number; first: number; last: number }>(
    `SELECT CASE WHEN e.user_id IS NULL AND l.user_id IS NULL THEN 'anon' ELSE 'user' END AS kind, COALESCE(e.user_id, l.user_id, e.anonymous_id) AS id,
       COUNT(*) AS n, MIN(e.ts) AS first, MAX(e.ts) AS last
     FROM events e LEFT JOIN links l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id GROUP BY 1, 2 ORDER BY 1, 2`);
  const kept = await c.store.reader.all<{ kind: string; id: string; n: number; first: number; last: number }>(
    'SELECT kind, id, events AS n, first_seen AS first, last_seen AS last FROM people_activity ORDER BY kind, id');
  const order = (rows: { kind: string; id: string }[]) => [...rows].sort((a, b) => (`${a.kind} ${a.id}` < `${b.kind} ${b.id}` ? -1 : 1));
  expect(order(kept)).toEqual(order(attributed));
  const anonymous = await allPages<{ anonymousId: string; eventCount: number }>(c, '/v1/anonymous', 'anonymous', 9);
  expect(anonymous.map((a) => [a.anonymousId, a.eventCount]).sort()).toEqual(attributed.filter((r) => r.kind === 'anon').map((r) => [r.id, Number(r.n)]).sort());
  const companies = await allPages<CompanyListing>(c, '/v1/companies', 'companies', 2);
  for (const company of companies) {
    const profile = (await get(c, `/v1/companies/${company.companyId}`)).body;
    expect(company).toEqual({ companyId: company.companyId, name: show(profile.traits.name), userCount: profile.userIds.length });
  }
}

/** Makes a database as version 8 left it: no People rows, nor the functions that keep them. */
async function rewindToVersion8(kind: StoreKind, database: string): Promise<void> {
  const rewind = [...rewindToVersion10(kind), 'DROP TABLE people', 'DROP TABLE people_activity', "UPDATE idstitch_meta SET value = '8' WHERE key = 'schema_version'"];
  if (kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(database);
    for (const sql of rewind) db.exec(sql);
    db.close();
    return;
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('SET search_path = idstitch');
  for (const sql of ['DROP FUNCTION record_activity', 'DROP FUNCTION insert_links', ...rewind]) await client.query(sql);
  await client.end();
}

/** The summary rows as stored: the search columns and the activity. */
const keptRows = async (c: Collector) => ({
  people: await c.store.reader.all('SELECT * FROM people ORDER BY kind, id'),
  activity: await c.store.reader.all('SELECT * FROM people_activity ORDER BY kind, id'),
});

describe.each(STORE_KINDS)('the kept summary rows against the profiles and a recount (%s)', (kind) => {
  it.each([1, 2, 3])('random history, seed %i: after concurrent batches, a restart, and erasures of a user and of a linked device', async (seed) => {
    const database = await harness.database(kind);
    const messages = history(seed, 400);
    let c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(0, 220), seed);
    await c.close();
    c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(220), seed + 50);
    await expectListsExact(c);

    const users = (await get(c, '/v1/users?limit=100')).body.users as UserListing[];
    const withDevices = users.filter((u) => u.anonymousIds.length >= 2);
    expect(withDevices.length).toBeGreaterThan(1);
    const [first, second] = withDevices;
    expect((await c.app.inject({ method: 'DELETE', url: `/v1/anonymous/${first!.anonymousIds[0]}` })).statusCode).toBe(200);
    expect((await c.app.inject({ method: 'DELETE', url: `/v1/users/${encodeURIComponent(second!.userId)}` })).statusCode).toBe(200);
    await expectListsExact(c);
    expect((await get(c, `/v1/users?query=${encodeURIComponent(second!.userId)}`)).body.users).toEqual([]);
  });

  it('an upgrade from schema version 8 (the one before People) derives the rows from what is stored, equal to the ones ingest kept', async () => {
    const database = await harness.database(kind);
    let c = await harness.collector(kind, { database });
    await sendAll(c, history(9, 300), 9);
    const kept = await keptRows(c);
    await c.close();
    await rewindToVersion8(kind, database);
    c = await harness.collector(kind, { database });
    expect(await keptRows(c)).toEqual(kept);
    await expectListsExact(c);
  });
});

/** What ingest keeps of a history: the summary rows, the first times, the refused links, the stats. */
async function keptState(c: Collector) {
  return {
    ...(await keptRows(c)),
    firstSteps: await c.store.reader.all('SELECT step, principal, ts FROM first_steps_by_key ORDER BY step, principal'),
    conflicts: await c.store.reader.all('SELECT anonymous_id, user_id, attempted_user_id, reason FROM conflicts ORDER BY seq'),
    stats: (await get(c, '/v1/stats')).body,
  };
}

describe.each(STORE_KINDS)('links that land in one transaction (%s)', (kind) => {
  it('keep what they keep landing one at a time: rows of one user joined in link order (the later wins a tie), relinks refused, ids without rows', async () => {
    const at = (ms: number) => ({ timestamp: new Date(Date.parse('2024-06-01T00:00:00.000Z') + ms).toISOString() });
    const anonymousTraits = (anonymousId: string, traits: Msg, ms: number) => msg('identify', { anonymousId, traits, ...at(ms) });
    const before = [
      page('d1', at(1)), page('d2', at(2)), page('d3', at(3)), track({ anonymousId: 'd3' }, 'Signed Up', at(7)), track({ anonymousId: 'd2' }, 'Signed Up', at(8)),
      // d1 and d2 name the same time, and join companies at the same time: the later link's name, the greater company.
      anonymousTraits('d1', { displayName: 'One', email: 'one@x.com' }, 5), anonymousTraits('d2', { displayName: 'Two', email: 'two@x.com' }, 5),
      msg('group', { anonymousId: 'd1', groupId: 'c2', traits: {}, ...at(6) }), msg('group', { anonymousId: 'd2', groupId: 'c1', traits: {}, ...at(6) }),
      identify(undefined, 'u1', { email: 'own@x.com' }, at(4)), page('linked-before', at(9)), identify('linked-before', 'u2', {}, at(10)),
    ];
    const links = [
      identify('d1', 'u1', {}, at(20)), identify('d2', 'u1', {}, at(21)), identify('d3', 'u3', {}, at(22)),
      identify('d1', 'u2', {}, at(23)), identify('linked-before', 'u1', {}, at(24)), identify('never-seen', 'u1', {}, at(25)),
    ];
    // Without `sentAt`, the times are the messages' own (no clock-skew correction), the same in both runs.
    const sendAsIs = async (c: Collector, messages: Msg[]) => expect((await send(c, messages, { sentAt: undefined })).status).toBe(200);
    const states = [];
    for (const together of [true, false]) {
      const c = await harness.collector(kind);
      await sendAsIs(c, before);
      if (together) await sendAsIs(c, links);
      else for (const link of links) await sendAsIs(c, [link]);
      states.push(await keptState(c));
      await expectListsExact(c);
    }
    expect(states[0]).toEqual(states[1]);
    const u1 = (states[0]!.people as { kind: string; id: string; name: string | null; email: string | null; company_id: string | null }[]).find((p) => p.kind === 'user' && p.id === 'u1');
    expect(u1).toMatchObject({ name: '"Two"', email: '"two@x.com"', company_id: 'c2' });
    expect(states[0]!.conflicts).toEqual([
      { anonymous_id: 'd1', user_id: 'u1', attempted_user_id: 'u2', reason: 'relinked' },
      { anonymous_id: 'linked-before', user_id: 'u2', attempted_user_id: 'u1', reason: 'relinked' },
    ]);
  });
});

describe.each(STORE_KINDS)('an upgrade to schema version 10 (%s)', (kind) => {
  it('splits the rows version 9 derived (activity apart), and links that land after it join them as they would have before (on PostgreSQL through insert_links, which it adds)', async () => {
    const messages = history(11, 300);
    const [earlier, later] = [messages.slice(0, 150), messages.slice(150)];
    const states = [];
    for (const upgraded of [true, false]) {
      const database = await harness.database(kind);
      let c = await harness.collector(kind, { database });
      await send(c, earlier, { sentAt: undefined });
      if (upgraded) {
        await c.close();
        await rewindToVersion8(kind, database);
        c = await harness.collector(kind, { database });
        expect((await c.store.reader.get<{ value: string }>("SELECT value FROM idstitch_meta WHERE key = 'schema_version'"))?.value).toBe(String(SCHEMA_VERSION));
      }
      await send(c, later, { sentAt: undefined });
      states.push(await keptState(c));
      await expectListsExact(c);
    }
    expect(states[0]).toEqual(states[1]);
    expect((states[0]!.stats as { identifiedUsers: number }).identifiedUsers).toBeGreaterThan(3);
  });
});

describe('the kept summary rows with several instances on one PostgreSQL database', () => {
  it('concurrent batches from four instances (links that merge devices racing their events): the rows equal the recount', async () => {
    const database = await harness.database('postgres');
    const collectors = await Promise.all(Array.from({ length: 4 }, () => harness.collector('postgres', { database, poolSize: 4 })));
    const messages = history(21, 800);
    const quarter = Math.ceil(messages.length / 4);
    await Promise.all(collectors.map((c, i) => sendInRandomBatches(c, messages.slice(i * quarter, (i + 1) * quarter), 30 + i, 12, 4)));
    await expectListsExact(collectors[0]!);
  });
});

interface ExportLine { record: string; data: Record<string, any> }

async function exported(c: Collector, userId: string, headers: Record<string, string> = {}) {
  const response = await c.app.inject({ method: 'GET', url: `/v1/users/${encodeURIComponent(userId)}/export`, headers });
  const lines = response.statusCode === 200 ? response.body.trimEnd().split('\n').map((text) => JSON.parse(text) as ExportLine) : [];
  return { status: response.statusCode, headers: response.headers, lines, body: response.body };
}

/** The whole stitched timeline through the route, page by page. */
async function timeline(c: Collector, userId: string): Promise<unknown[]> {
  const events: unknown[] = [];
  let after: string | null = null;
  do {
    const { body }: { body: Record<string, any> } = await get(c, `/v1/users/${encodeURIComponent(userId)}/events?limit=7${after ? `&after=${after}` : ''}`);
    events.push(...body.events);
    after = body.after;
  } while (after);
  return events;
}

describe.each(STORE_KINDS)('GET /v1/users/:userId/export (%s)', (kind) => {
  it('a user on three devices and the API: profile, links, memberships, traits, conflicts, then every event as the timeline shows it', async () => {
    const c = await harness.collector(kind);
    const [laptop, phone, tablet] = ['x-laptop', 'x-phone', 'x-tablet'];
    await send(c, [page(laptop), track({ anonymousId: laptop }, 'Signed Up'), identify(laptop, 'xena', { displayName: '<b>Xena</b>', email: 'xena@example.com' })]);
    await send(c, [page(phone), msg('identify', { anonymousId: phone, traits: { device: 'phone' } }), group({ anonymousId: phone }, 'x-co', { name: 'X Co' })]);
    await send(c, [page(tablet), page(tablet), apiCall({ userId: 'xena' }), apiCall({ userId: 'xena' })]);
    await send(c, [identify(phone, 'xena'), identify(tablet, 'xena'), page(phone), apiCall({ userId: 'xena', anonymousId: tablet })]);
    await send(c, [identify(laptop, 'someone-else'), page('unrelated'), page(laptop)]);

    const { status, headers, lines } = await exported(c, 'xena');
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(headers['content-disposition']).toBe('attachment; filename="idstitch-user-xena.ndjson"');
    const of = (record: string) => lines.filter((l) => l.record === record).map((l) => l.data);
    expect(lines[0]).toEqual({ record: 'profile', data: (await get(c, '/v1/users/xena')).body });
    expect(of('link').map((l) => l.anonymousId)).toEqual([laptop, phone, tablet]);
    expect(of('membership')).toEqual([{ subject: { kind: 'anon', id: phone }, companyId: 'x-co', at: expect.any(String) }]);
    expect(of('trait').map((t) => `${t.subject.kind}:${t.key}=${JSON.stringify(t.value)}`).sort()).toEqual(
      ['anon:device="phone"', 'user:displayName="<b>Xena</b>"', 'user:email="xena@example.com"']);
    expect(of('conflict')).toMatchObject([{ anonymousId: laptop, userId: 'xena', attemptedUserId: 'someone-else', reason: 'relinked' }]);
    const events = of('event');
    expect(events).toEqual(await timeline(c, 'xena'));
    expect(events).toHaveLength((await get(c, '/v1/users/xena')).body.eventCount);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['web', 'api']));
    expect(new Set(events.map((e) => e.anonymousId).filter(Boolean))).toEqual(new Set([laptop, phone, tablet]));
    // Records in their order: the profile, the graph, then the events oldest first.
    const order = lines.map((l) => l.record).filter((r, i, all) => all.indexOf(r) === i);
    expect(order).toEqual(['profile', 'link', 'membership', 'trait', 'conflict', 'event']);
    const times = events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('many events across pages of every source stay in time order and complete', async () => {
    const c = await harness.collector(kind);
    const devices = ['p-a', 'p-b', 'p-c'];
    await send(c, devices.map((d) => identify(d, 'pager')));
    const batch: Msg[] = [];
    // Interleaved, some at the same time: the merge orders by time, then by arrival.
    for (let i = 0; i < 2600; i++) {
      const at = i % 3 === 0 ? nextTime(0) : nextTime(1);
      batch.push(i % 4 === 3 ? apiCall({ userId: 'pager' }, { timestamp: at }) : page(devices[i % 3]!, { timestamp: at }));
    }
    for (let i = 0; i < batch.length; i += 500) expect((await send(c, batch.slice(i, i + 500))).status).toBe(200);
    const events = (await exported(c, 'pager')).lines.filter((l) => l.record === 'event').map((l) => l.data);
    expect(events).toHaveLength(2603);
    expect(events).toEqual(await timeline(c, 'pager'));
  });

  it('reads the events a page at a time, only as the lines are taken (the stream pulls them)', async () => {
    const c = await harness.collector(kind);
    await send(c, [identify('s-a', 'streamed'), identify('s-b', 'streamed')]);
    const batch = Array.from({ length: 12_000 }, (_, i) => (i % 2 ? page('s-a') : apiCall({ userId: 'streamed' })));
    for (let i = 0; i < batch.length; i += 2000) expect((await send(c, batch.slice(i, i + 2000))).status).toBe(200);
    // The store's own reader, counted.
    const reads: string[] = [];
    const reader = {
      all: <T>(sql: string, params?: readonly unknown[]) => (reads.push(sql), c.store.reader.all<T>(sql, params)),
      get: <T>(sql: string, params?: readonly unknown[]) => (reads.push(sql), c.store.reader.get<T>(sql, params)),
    };
    const eventPages = () => reads.filter((sql) => sql.includes('ORDER BY ts, seq LIMIT')).length;
    const lines = (await exportUser(reader, new Queries(reader, { megaUserLimit: 50, megaUserWindowMs: 3_600_000, dialect: kind }), 'streamed'))!;
    let text = '';
    while (!text.includes('"record":"event"')) text += (await lines.next()).value;
    // The first chunk of lines (64 KB) took the first pages of the three sources (the user's own events, two devices') and
    // a second page or two; while the lines wait to be taken, nothing more is read.
    const first = eventPages();
    expect(first).toBeGreaterThanOrEqual(3);
    expect(first).toBeLessThanOrEqual(6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(eventPages()).toBe(first);
    let events = 0;
    for await (const chunk of lines) events += chunk.split('\n').filter((l: string) => l.includes('"record":"event"')).length;
    events += text.split('\n').filter((l) => l.includes('"record":"event"')).length;
    expect(events).toBe(12_002);
    // Pages of at most 1,000 rows: the user's 6,001 events and s-a's 6,000 take seven each (the first page is 50 rows), s-b's one.
    expect(eventPages()).toBeGreaterThanOrEqual(13);
    expect(eventPages()).toBeLessThanOrEqual(17);
  });

  it('exports what the timeline shows: not an unverified claim, nothing of an erased user; 404 for unknown users', async () => {
    const secret = 'people-export-secret';
    const c = await harness.collector(kind, { identitySecrets: [secret] });
    const signed = (m: Msg, userId: string) => ({ ...m, context: { ...(m.context as Msg), identityToken: signIdentity(secret, userId) } });
    await send(c, [page('v-own'), signed(identify('v-own', 'victim'), 'victim'), track({ anonymousId: 'v-evil', userId: 'victim' }, 'Forged')]);
    const events = (await exported(c, 'victim')).lines.filter((l) => l.record === 'event').map((l) => l.data);
    expect(events.map((e) => e.messageId)).toEqual((await timeline(c, 'victim')).map((e) => (e as Msg).messageId));
    expect(events.some((e) => e.event === 'Forged')).toBe(false);
    expect((await get(c, '/v1/users?query=victim')).body.users).toMatchObject([{ userId: 'victim', eventCount: 2 }]);
    expect((await get(c, '/v1/anonymous')).body.anonymous).toMatchObject([{ anonymousId: 'v-evil', eventCount: 1 }]);

    await c.app.inject({ method: 'DELETE', url: '/v1/users/victim' });
    expect((await exported(c, 'victim')).status).toBe(404);
    expect((await exported(c, 'nobody')).status).toBe(404);
    expect((await get(c, '/v1/users')).body.users).toEqual([]);
  });

  it('needs the dashboard token whenever one is set, loopback included', async () => {
    const c = await harness.collector(kind, { dashboardToken: 'people-token' });
    await send(c, [identify('t-dev', 'tokened')]);
    for (const url of ['/v1/users/tokened/export', '/v1/users', '/v1/companies', '/v1/anonymous']) {
      const refused = await c.app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1' } });
      expect(refused.statusCode, url).toBe(401);
      expect(refused.body).not.toContain('tokened');
    }
    expect((await exported(c, 'tokened', { authorization: 'Bearer people-token' })).status).toBe(200);
    expect((await c.app.inject({ method: 'GET', url: '/v1/users/tokened/export?token=people-token' })).statusCode).toBe(200);
    expect((await exported(c, 'tokened', { authorization: 'Bearer wrong' })).status).toBe(401);
  });
});
