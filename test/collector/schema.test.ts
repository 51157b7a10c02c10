/**
 * Schema versions on both stores: a version-1 database with data is upgraded
 * in place (dedupe moves from `messageId` alone to `timestamp` + `messageId`),
 * so is a version-7 one (the funnel's first times move to integer keys), a
 * newer database is refused, and the dedupe key behaves as documented.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createCollector } from '../../src/collector/index.js';
import { PG_SCHEMA } from '../../src/collector/store/postgres.js';
import { META_TABLE, migrationsFrom, SCHEMA_VERSION } from '../../src/collector/store/schema.js';
import { get, identify, page, send, STORE_KINDS, track, useHarness, type StoreKind } from './helpers.js';

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
});
