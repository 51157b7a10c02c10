/**
 * Back-pressure: with the database held (another connection keeps the write
 * lock), a flood of batches from the real server SDK fills the write backlog
 * up to its bound and no further: past it ingest answers 503 with
 * `Retry-After`, the SDK retries, and once the database lets go every
 * message is stored exactly once. Nothing answered 200 is lost.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createServerClient } from '../../src/server/index.js';
import { eventually } from '../support/poll.js';
import { STORE_KINDS, useHarness, type StoreKind } from './helpers.js';

const harness = useHarness();
const LIMIT = { messages: 25, bytes: 1024 * 1024 };
const CLIENTS = 3;
const PER_CLIENT = 120;

/** Holds the store's write lock from another connection until `release()`. */
async function holdWrites(kind: StoreKind, database: string): Promise<() => Promise<void>> {
  if (kind === 'sqlite') {
    const lock = new Database(database);
    lock.exec('BEGIN IMMEDIATE');
    return async () => {
      lock.exec('ROLLBACK');
      lock.close();
    };
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('BEGIN');
  // Blocks every insert into events (and so every ingest transaction) until the rollback.
  await client.query('LOCK TABLE idstitch.events IN SHARE ROW EXCLUSIVE MODE');
  return async () => {
    await client.query('ROLLBACK');
    await client.end();
  };
}

describe.each(STORE_KINDS)('back-pressure (%s)', (kind) => {
  it('a held writer keeps the backlog within its bound, refuses the rest with 503 + Retry-After, and the SDK lands every message', async () => {
    const database = await harness.database(kind);
    const collector = await harness.collector(kind, { database, maxBacklogMessages: LIMIT.messages, maxBacklogBytes: LIMIT.bytes });
    const statuses = new Map<number, number>();
    let retryAfter: unknown;
    collector.app.addHook('onSend', async (request, reply, payload) => {
      if (request.url === '/v1/batch') {
        statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
        if (reply.statusCode === 503) retryAfter = reply.getHeader('retry-after');
      }
      return payload;
    });
    const url = await collector.listen();

    const release = await holdWrites(kind, database);
    let largest = 0;
    const sampler = setInterval(() => (largest = Math.max(largest, collector.store.backlog().messages)), 5);
    const errors: string[] = [];
    const clients = Array.from({ length: CLIENTS }, () =>
      createServerClient({ endpoint: `${url}/v1/batch`, batchSize: 10, flushInterval: 10, maxRetryDelay: 1000, closeTimeout: 30_000, onError: (e) => errors.push(e.code) }));
    clients.forEach((client, c) => {
      for (let i = 0; i < PER_CLIENT; i++) client.track({ userId: `u${c}`, event: 'Flood', properties: { c, i } });
    });
    try {
      // Until the bound has refused batches twice (a client's retry included); a SQLite writer gives up after 5 s.
      await eventually(async () => ((statuses.get(503) ?? 0) >= 2 ? true : undefined), 'two 503 answers', 4500);
    } finally {
      await release();
      await Promise.all(clients.map((client) => client.close()));
      clearInterval(sampler);
    }

    expect(retryAfter).toBe('1');
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(LIMIT.messages);
    expect(errors.filter((code) => code !== 'delivery')).toEqual([]);
    for (const client of clients) expect(client.stats()).toMatchObject({ queued: 0, dropped: 0, sent: PER_CLIENT });
    const stored = await collector.store.reader.get<{ n: number; ids: number }>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS ids FROM events WHERE event = 'Flood'");
    expect(stored).toEqual({ n: CLIENTS * PER_CLIENT, ids: CLIENTS * PER_CLIENT });
    expect(collector.store.backlog()).toEqual({ messages: 0, bytes: 0 });
  });
});
