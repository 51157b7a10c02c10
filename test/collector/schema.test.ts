/**
 * Schema versions on both stores: a version-1 database with data is upgraded
 * in place (dedupe moves from `messageId` alone to `timestamp` + `messageId`),
 * a newer database is refused, and the dedupe key behaves as documented.
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
