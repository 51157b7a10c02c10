/**
 * Schema versions on both stores: a version-1 database with data is upgraded
 * in place (dedupe moves from `messageId` alone to `timestamp` + `messageId`),
 * so is a version-7 one (the funnel's first times move to integer keys) and
 * a version-10 one (visitor numbers), a newer database is refused, and the
 * dedupe key behaves as documented.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createCollector } from '../../src/collector/index.js';
import { PG_SCHEMA } from '../../src/collector/store/postgres.js';
import { META_TABLE, migrationsFrom, SCHEMA_VERSION } from '../../src/collector/store/schema.js';
import { get, group, identify, msg, page, rewindToVersion10, send, STORE_KINDS, tableCounts, track, useHarness, type Msg, type StoreKind } from './helpers.js';

const harness = useHarness();

/** Runs statements on a raw database of that kind, in the collector's schema. */
async function raw(kind: StoreKind, location: string, statements: string[]): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(location);
    for (const sql of statements) db.exec(sql);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
    await client.query(`SET search_path = ${PG_SCHEMA}`);
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

const version = (n: number) => `INSERT INTO idstitch_meta (key, value) VALUES ('schema_version', '${n}')`;

describe.each(STORE_KINDS)('schema on %s', (kind) => {
  it('upgrades a version-1 database in place: events kept, dedupe still catches their retries', async () => {
    const location = await harness.database(kind);
    const ts = Date.parse('2024-05-01T10:00:00.000Z');
    const body = (id: string) => JSON.stringify({ type: 'page', messageId: id, anonymousId: 'old-anon', timestamp: new Date(ts).toISOString(), properties: {} });
    await raw(kind, location, [
      META_TABLE,
      ...migrationsFrom(0, kind, 1),
      version(1),
      `INSERT INTO events (message_id, type, event, anonymous_id, user_id, group_id, source, ts, original_ts, received_at, body)
        VALUES ('old-1', 'page', NULL, 'old-anon', NULL, NULL, 'web', ${ts}, ${ts}, ${ts}, '${body('old-1')}'),
               ('old-2', 'page', NULL, 'old-anon', NULL, NULL, 'web', ${ts + 1}, ${ts}, ${ts + 1}, '${body('old-2')}')`,
      `INSERT INTO anonymous_ids (anonymous_id, first_seen) VALUES ('old-anon', ${ts})`,
    ]);

    const c = await createCollector({ database: location, logLevel: 'silent' });
    try {
      expect((await c.store.reader.get<{ value: string }>("SELECT value FROM idstitch_meta WHERE key = 'schema_version'"))?.value).toBe(String(SCHEMA_VERSION));
      expect((await get(c, '/v1/stats')).body.events).toBe(2);
      // The client retries old-1 as it sent it: a duplicate. Then it logs in.
      await send(c, [page('old-anon', { messageId: 'old-1', timestamp: new Date(ts).toISOString() }), identify('old-anon', 'old-user')]);
      expect((await get(c, '/v1/stats')).body.events).toBe(3);
      // The funnel's first times were derived from the stored events, and follow the old visitor to its user.
      expect((await get(c, '/v1/funnel?steps=page')).body.steps).toEqual([{ step: 'page', users: 1 }]);
      expect(await c.store.reader.all('SELECT step, principal, ts FROM first_steps_by_key')).toEqual([{ step: 'p', principal: 'u:old-user', ts }]);
      const timeline = (await get(c, '/v1/users/old-user/events')).body.events as { messageId: string }[];
      expect(timeline.map((e) => e.messageId).slice(0, 2)).toEqual(['old-1', 'old-2']);
    } finally {
      await c.close();
    }
  });

  it('upgrades a version-7 database: the funnel first times keep their values under integer keys, and new events and links land on them', async () => {
    const location = await harness.database(kind);
    const ts = Date.parse('2024-05-01T10:00:00.000Z');
    const event = (id: string, type: string, name: string | null, anonymousId: string | null, userId: string | null, at: number) =>
      `('${id}', '${type}', ${name === null ? 'NULL' : `'${name}'`}, ${anonymousId === null ? 'NULL' : `'${anonymousId}'`}, ${userId === null ? 'NULL' : `'${userId}'`},
        NULL, 'web', ${at}, ${at}, ${at}, '{}')`;
    // As version 7 wrote them: Una signed up (API), her laptop's page view is linked to her, a visitor and a phone are not linked.
    const stored = [
      { step: 'p', principal: 'a:visitor', ts: ts + 5 },
      { step: 'p', principal: 'a:una-phone', ts: ts + 1 },
      { step: 'p', principal: 'u:una', ts: ts + 3 },
      { step: 't:Signed Up', principal: 'a:una-phone', ts: ts + 2 },
      { step: 't:Signed Up', principal: 'u:una', ts: ts + 4 },
    ];
    await raw(kind, location, [
      META_TABLE,
      ...migrationsFrom(0, kind, 7),
      version(7),
      `INSERT INTO events (message_id, type, event, anonymous_id, user_id, group_id, source, ts, original_ts, received_at, body) VALUES
        ${event('v-1', 'page', null, 'una-laptop', null, ts + 3)}, ${event('v-2', 'track', 'Signed Up', null, 'una', ts + 4)},
        ${event('v-3', 'page', null, 'visitor', null, ts + 5)}, ${event('v-4', 'page', null, 'una-phone', null, ts + 1)},
        ${event('v-5', 'track', 'Signed Up', 'una-phone', null, ts + 2)}`,
      `INSERT INTO links (anonymous_id, user_id, linked_at, message_id) VALUES ('una-laptop', 'una', ${ts + 3}, 'v-0')`,
      `INSERT INTO first_steps (step, principal, ts) VALUES ${stored.map((r) => `('${r.step}', '${r.principal}', ${r.ts})`).join(', ')}`,
    ]);

    const c = await createCollector({ database: location, logLevel: 'silent' });
    try {
      const keyed = () => c.store.reader.all('SELECT step, principal, ts FROM first_steps_by_key ORDER BY step, principal');
      const byKey = (rows: typeof stored) => [...rows].sort((a, b) => (a.step + a.principal < b.step + b.principal ? -1 : 1));
      expect(await keyed()).toEqual(byKey(stored));
      const tables = await c.store.reader.all<{ name: string }>(kind === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table'"
        : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = '${PG_SCHEMA}'`);
      expect(tables.map((t) => t.name)).not.toContain('first_steps_v5');
      const funnel = async () => (await get(c, `/v1/funnel?steps=${encodeURIComponent('page,Signed Up')}`)).body.steps.map((s: { users: number }) => s.users);
      expect(await funnel()).toEqual([3, 2]);

      // Una logs in on her phone: its first times join hers, the earlier of each. A new visitor gets a new key.
      await send(c, [identify('una-phone', 'una', {}, { timestamp: new Date(ts + 6).toISOString() }), page('newcomer')]);
      expect(await keyed()).toEqual(byKey([
        { step: 'p', principal: 'a:newcomer', ts: expect.any(Number) },
        { step: 'p', principal: 'a:visitor', ts: ts + 5 },
        { step: 'p', principal: 'u:una', ts: ts + 1 },
        { step: 't:Signed Up', principal: 'u:una', ts: ts + 2 },
      ]));
      expect((await c.store.reader.all<{ key: string }>('SELECT key FROM principal_ids ORDER BY key')).map((r) => r.key)).toEqual(['a:newcomer', 'a:visitor', 'u:una']);
      expect(await funnel()).toEqual([3, 1]);
    } finally {
      await c.close();
    }
  });

  it('upgrades a version-10 database: its visitors and their events get numbers, and timelines, profiles, exports and erasures answer as on a database that always had them', async () => {
    const at = (ms: number) => ({ timestamp: new Date(Date.parse('2024-05-01T10:00:00.000Z') + ms).toISOString() });
    // Visitors v0..v11; users u0..u3 log in from two visitors each, some only later; v8..v11 stay anonymous; an alias and company members.
    const before: Msg[] = [];
    for (let i = 0; i < 12; i++) {
      before.push(page(`v${i}`, at(i * 10)), track({ anonymousId: `v${i}` }, 'Docs Read', at(i * 10 + 1)));
      if (i < 6) before.push(identify(`v${i}`, `u${i % 4}`, {}, at(i * 10 + 2)));
    }
    before.push(track({ anonymousId: 'v2', userId: 'u2' }, 'Signed Up', at(200)), group({ anonymousId: 'v9' }, 'acme'), group({ userId: 'u1' }, 'acme'),
      msg('alias', { previousId: 'v10', userId: 'u3', ...at(210) }));
    const after: Msg[] = [page('v6', at(300)), identify('v6', 'u2', {}, at(301)), page('v7', at(302)), identify('v7', 'u1', {}, at(303)), page('v11', at(304)), page('newcomer', at(305))];
    const answers = async (c: Awaited<ReturnType<typeof createCollector>>) => {
      const out: Record<string, unknown> = { stats: (await get(c, '/v1/stats')).body };
      for (const user of ['u0', 'u1', 'u2', 'u3']) {
        const profile = await get(c, `/v1/users/${user}`);
        if (profile.status !== 200) {
          out[user] = profile.status;
          continue;
        }
        const { anonymousIds, eventCount, firstSeen, lastSeen } = profile.body;
        const timeline = (await get(c, `/v1/users/${user}/events?limit=100`)).body.events.map((e: { messageId: string }) => e.messageId);
        const exported = (await c.app.inject({ url: `/v1/users/${user}/export` })).body.split('\n').filter((line) => line.includes('"record":"event"')).length;
        out[user] = { anonymousIds, eventCount, firstSeen, lastSeen, timeline, exported };
      }
      const { userIds, eventCount } = (await get(c, '/v1/companies/acme')).body;
      out.company = { userIds, eventCount };
      return out;
    };
    const states = [];
    for (const upgraded of [true, false]) {
      const location = await harness.database(kind);
      let c = await createCollector({ database: location, logLevel: 'silent' });
      // Without `sentAt`, the times are the messages' own (no clock-skew correction), the same in both runs.
      expect((await send(c, before, { sentAt: undefined })).status).toBe(200);
      if (upgraded) {
        await c.close();
        await raw(kind, location, rewindToVersion10(kind));
        c = await createCollector({ database: location, logLevel: 'silent' });
        expect((await c.store.reader.get<{ value: string }>("SELECT value FROM idstitch_meta WHERE key = 'schema_version'"))?.value).toBe(String(SCHEMA_VERSION));
      }
      try {
        // Every event without a user id has its visitor's number, the one its id has.
        expect(await c.store.reader.all(`SELECT e.message_id FROM events e LEFT JOIN anonymous_ids a ON a.anonymous_id = e.anonymous_id
          WHERE e.user_id IS NULL AND (e.visitor IS NULL OR a.visitor IS NULL OR e.visitor <> a.visitor)`)).toEqual([]);
        const upgradedAnswers = await answers(c);
        expect(((upgradedAnswers.u1 as { timeline: string[] }).timeline).length).toBeGreaterThan(3);
        expect((await send(c, after, { sentAt: undefined })).status).toBe(200);
        const later = await answers(c);
        const erasedVisitor = (await c.app.inject({ method: 'DELETE', url: '/v1/anonymous/v8' })).json();
        const erasedUser = (await c.app.inject({ method: 'DELETE', url: '/v1/users/u0' })).json();
        states.push({ upgradedAnswers, later, erasedVisitor, erasedUser, afterErasure: await answers(c) });
      } finally {
        await c.close();
      }
    }
    expect(states[0]).toEqual(states[1]);
    expect(states[0]!.erasedVisitor).toMatchObject({ erased: { events: 2 } });
    expect(states[0]!.afterErasure.u0).toBe(404);
    expect(states[0]!.afterErasure.company).toMatchObject({ userIds: ['u1'] });
  });

  it('refuses a database written by a newer collector, naming both versions', async () => {
    const location = await harness.database(kind);
    await raw(kind, location, [META_TABLE, version(SCHEMA_VERSION + 1)]);
    await expect(createCollector({ database: location, logLevel: 'silent' })).rejects.toThrow(
      `schema version ${SCHEMA_VERSION + 1}, newer than this collector's ${SCHEMA_VERSION}`,
    );
  });

  it('dedupes on timestamp + messageId: a retry (or a message with no timestamp) is stored once; a reused id with a new time is a new message', async () => {
    const c = await harness.collector(kind);
    const retried = track({ anonymousId: 'a' }, 'Retried');
    const { timestamp: _, ...untimed } = track({ anonymousId: 'a' }, 'Untimed');
    await send(c, [retried, untimed]);
    await send(c, [retried, untimed, untimed]);
    expect((await get(c, '/v1/stats')).body.events).toBe(2);
    await send(c, [{ ...retried, timestamp: new Date(Date.parse(retried.timestamp as string) + 1).toISOString() }]);
    expect((await get(c, '/v1/stats')).body.events).toBe(3);
  });

  it('registers no id that only a duplicate names: a retry whose ids changed stores nothing, on its own or beside new events, in either write path', async () => {
    const c = await harness.collector(kind);
    const first = identify('first-anon', 'u1');
    await send(c, [first]);
    // The same message (messageId and timestamp) under other ids: alone (an identify, the general path; a page, PostgreSQL's
    // one-statement path), then beside a new visitor's page in one batch.
    await send(c, [{ ...first, anonymousId: 'second-anon' }]);
    await send(c, [{ ...page('third-anon'), messageId: first.messageId, timestamp: first.timestamp }]);
    await send(c, [{ ...page('fourth-anon'), messageId: first.messageId, timestamp: first.timestamp }, page('fifth-anon')]);
    // A new message and its copy under another new id in one batch, and the same for an identify: the first copies count.
    const fresh = page('sixth-anon');
    const login = identify('eighth-anon', 'u2');
    await send(c, [fresh, { ...fresh, anonymousId: 'seventh-anon' }]);
    await send(c, [login, { ...login, anonymousId: 'ninth-anon' }]);
    for (const id of ['second-anon', 'third-anon', 'fourth-anon', 'seventh-anon', 'ninth-anon']) expect((await get(c, `/v1/anonymous/${id}`)).status).toBe(404);
    for (const id of ['fifth-anon', 'sixth-anon', 'eighth-anon']) expect((await get(c, `/v1/anonymous/${id}`)).status).toBe(200);
    const stats = (await get(c, '/v1/stats')).body;
    expect(stats).toEqual(await tableCounts(c));
    expect(stats).toMatchObject({ events: 4, identifiedUsers: 2, anonymousVisitors: 2 });
  });
});
