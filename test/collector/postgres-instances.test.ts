/**
 * Several collector instances sharing one PostgreSQL database (README
 * "The collector"): schema creation, dedupe and linking are race-safe across them.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../src/collector/index.js';
import { readBatch } from '../../src/collector/ingest.js';
import { PG_SCHEMA } from '../../src/collector/store/postgres.js';
import { get, identify, page, send, tableCounts, track, useHarness } from './helpers.js';

const harness = useHarness();
const INSTANCES = 4;

async function instances(): Promise<Collector[]> {
  const database = await harness.database('postgres');
  // Started together on an empty database: one creates the schema, the others wait for it.
  const all = await Promise.all(Array.from({ length: INSTANCES }, () => createCollector({ database, logLevel: 'silent', poolSize: 4 })));
  return all;
}

describe('several instances on one PostgreSQL database', () => {
  it('under concurrent identifies of one anonymous id, exactly one link wins; the others are conflicts', async () => {
    const collectors = await instances();
    try {
      for (let round = 0; round < 15; round++) {
        const anonymousId = `race-${round}`;
        const users = collectors.map((_, i) => `user-${round}-${i}`);
        const answers = await Promise.all(collectors.map((c, i) => send(c, [track({ anonymousId }, 'Before'), identify(anonymousId, users[i]!)])));
        expect(answers.every((a) => a.status === 200)).toBe(true);
        const winner = (await get(collectors[0]!, `/v1/anonymous/${anonymousId}`)).body.userId;
        expect(users).toContain(winner);
        for (const c of collectors) expect((await get(c, `/v1/anonymous/${anonymousId}`)).body.userId).toBe(winner);
        const conflicts = ((await get(collectors[1]!, '/v1/conflicts?limit=1000')).body.conflicts as { anonymousId: string; userId: string; attemptedUserId: string }[])
          .filter((x) => x.anonymousId === anonymousId);
        expect(conflicts.map((x) => x.attemptedUserId).sort()).toEqual(users.filter((u) => u !== winner).sort());
        expect(conflicts.every((x) => x.userId === winner)).toBe(true);
        expect((await get(collectors[2]!, `/v1/users/${winner}`)).body.anonymousIds).toEqual([anonymousId]);
      }
    } finally {
      await Promise.all(collectors.map((c) => c.close()));
    }
  });

  it('the same messages sent to every instance at once are stored once, their effects applied once', async () => {
    const collectors = await instances();
    try {
      const batches = Array.from({ length: 20 }, (_, i) => [
        identify(`dup-anon-${i}`, `dup-user-${i}`, { n: i }),
        ...Array.from({ length: 10 }, () => track({ anonymousId: `dup-anon-${i}` }, 'E', { messageId: randomUUID() })),
      ]);
      await Promise.all(batches.flatMap((batch) => collectors.map((c) => send(c, [...batch].reverse()))));
      const stats = (await get(collectors[3]!, '/v1/stats')).body;
      expect(stats).toEqual({ events: 220, users: 20, identifiedUsers: 20, anonymousVisitors: 0 });
      expect((await get(collectors[0]!, '/v1/conflicts')).body.conflicts).toEqual([]);
      expect((await get(collectors[1]!, '/v1/users/dup-user-7')).body).toMatchObject({ eventCount: 11, traits: { n: 7 } });
      // Each event without a user id has its visitor's number (visitors.ts), which every instance registered at once.
      expect(await collectors[2]!.store.reader.all(`SELECT e.message_id FROM events e LEFT JOIN anonymous_ids a ON a.anonymous_id = e.anonymous_id
        WHERE e.user_id IS NULL AND (e.visitor IS NULL OR a.visitor IS NULL OR e.visitor <> a.visitor)`)).toEqual([]);
      expect((await get(collectors[0]!, '/v1/users/dup-user-7/events?limit=100')).body.events).toHaveLength(11);
    } finally {
      await Promise.all(collectors.map((c) => c.close()));
    }
  });

  it('large transactions (20,000 visitors each) from several instances at once: all stored, the lock table never runs out', async () => {
    const collectors = await instances();
    try {
      // One store.ingest is one transaction (an import, or the writer's gathered batches): far more ids
      // than PostgreSQL's lock table holds as one advisory lock each (schema.ts MAX_ID_LOCKS).
      const transactions = collectors.map((c, i) => {
        const messages = Array.from({ length: 20_000 }, (_, m) => (m % 10 === 0 ? identify(`big-${i}-${m}`, `big-user-${i}-${m}`) : page(`big-${i}-${m}`)));
        const events = Array.from({ length: 8 }, (_, k) => readBatch({ batch: messages.slice(k * 2500, (k + 1) * 2500) }, Date.now()).events).flat();
        return c.store.ingest(events);
      });
      expect((await Promise.all(transactions)).map((r) => r.stored)).toEqual(collectors.map(() => 20_000));
      const stats = (await get(collectors[0]!, '/v1/stats')).body;
      expect(stats).toMatchObject({ events: INSTANCES * 20_000, identifiedUsers: INSTANCES * 2000 });
      expect(stats).toEqual(await tableCounts(collectors[0]!));
    } finally {
      await Promise.all(collectors.map((c) => c.close()));
    }
  }, 120_000);

  for (const path of ['one-statement', 'general'] as const) {
    it(`a retry under a new anonymous id while another transaction erases the stored copy: stored with its number (${path} path)`, async () => {
      const database = await harness.database('postgres');
      const c = await harness.collector('postgres', { database });
      const original = path === 'one-statement' ? page('erased-anon') : identify('erased-anon', 'erased-user');
      await send(c, [original]);
      const eraser = new pg.Client({ connectionString: database });
      await eraser.connect();
      try {
        await eraser.query(`SET search_path = ${PG_SCHEMA}`);
        // As an erasure of the old id does: its lock (not the new id's), its events deleted, not yet committed.
        await eraser.query('BEGIN');
        await eraser.query("SELECT lock_ids('{}'::text[], ARRAY['erased-anon'])");
        await eraser.query('DELETE FROM events WHERE anonymous_id = $1', ['erased-anon']);
        const retry = send(c, [{ ...original, anonymousId: 'retried-anon' }]);
        // The retry's statement waits for the deleted row's lock; then the erasure commits.
        for (let waiting = false; !waiting; await new Promise((resolve) => setTimeout(resolve, 20))) {
          const { rows } = await eraser.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
          waiting = rows.length > 0;
        }
        await eraser.query('COMMIT');
        expect((await retry).status).toBe(200);
      } finally {
        await eraser.end();
      }
      expect(await c.store.reader.all(`SELECT e.anonymous_id, e.visitor = a.visitor AS numbered FROM events e LEFT JOIN anonymous_ids a ON a.anonymous_id = e.anonymous_id`))
        .toEqual([{ anonymous_id: 'retried-anon', numbered: path === 'one-statement' ? true : null }]);
      expect((await get(c, '/v1/anonymous/retried-anon')).status).toBe(200);
    });
  }
});
