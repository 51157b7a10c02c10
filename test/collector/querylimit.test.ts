/**
 * Queries run off the event loop with a time limit. A query over its limit
 * is refused with a 503 that says why, the store keeps answering afterwards,
 * and ingest is answered while the slow query still runs (it does not wait
 * behind it, as it did when SQLite read on the event loop).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { HttpError } from '../../src/collector/errors.js';
import { ReaderPool } from '../../src/collector/store/sqliteReader.js';
import { get, page, send, STORE_KINDS, useHarness, type StoreKind } from './helpers.js';

const harness = useHarness();
const LIMIT_MS = 300;

/** A query that runs far past the limit on its own (a few seconds at least). */
const SLOW: Record<StoreKind, string> = {
  sqlite: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS n FROM c',
  postgres: 'SELECT pg_sleep(30) AS n',
};

describe.each(STORE_KINDS)('query time limit (%s)', (kind) => {
  it('refuses a query over its limit with 503 and a reason, answers ingest meanwhile, and keeps answering queries', async () => {
    // A limit that leaves ingest ample time; the slow query runs minutes on its own.
    const limitMs = 3000;
    const c = await harness.collector(kind, { queryTimeoutMs: limitMs });
    expect((await send(c, [page('a-warm-up')])).status).toBe(200); // the writer is up
    const order: string[] = [];
    const slow = c.store.reader.get(SLOW[kind]).then(
      () => order.push('slow query answered'),
      (error: unknown) => {
        order.push('slow query refused');
        return error;
      },
    );
    const ingest = await send(c, [page('a-during-slow-query')]);
    order.push('ingest answered');
    expect(ingest.status).toBe(200);

    const error = await slow;
    expect(order).toEqual(['ingest answered', 'slow query refused']);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
    expect((error as HttpError).reason).toMatch(new RegExp(`longer than its limit of ${limitMs} ms`));

    // The reader that ran it was replaced: queries answer again, and see the event stored meanwhile (through the
    // readers: the stats have a lane of their own).
    expect((await c.store.reader.get<{ n: number }>('SELECT count(*) AS n FROM events'))!.n).toBe(2);
  });

  it('answers a query route with 503, Retry-After and the reason when its query runs over the limit', async () => {
    const c = await harness.collector(kind, { queryTimeoutMs: LIMIT_MS });
    // Every reader busy with a slow query: the route's query waits past the limit (PostgreSQL: for a connection).
    const blockers = Array.from({ length: 4 }, () => c.store.reader.get(SLOW[kind]).catch((e: unknown) => e));
    const response = await c.app.inject({ method: 'GET', url: '/v1/conflicts' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`limit of ${LIMIT_MS} ms`)) });
    await Promise.all(blockers);
  });

  it('answers the stats while every reader is busy: they have a lane of their own', async () => {
    const c = await harness.collector(kind, { queryTimeoutMs: LIMIT_MS });
    expect((await send(c, [page('a-1'), page('a-2')])).status).toBe(200);
    // The lane's connection opened first (PostgreSQL opens it on first use), so only the lane is measured below.
    expect((await get(c, '/v1/stats')).body).toMatchObject({ events: 2 });
    // More slow queries than readers: none of them ends before its limit (300 ms of running or of waiting).
    let settled = 0;
    const blockers = Array.from({ length: 4 }, () => c.store.reader.get(SLOW[kind]).catch((e: unknown) => e).finally(() => settled++));
    const stats = await c.app.inject({ method: 'GET', url: '/v1/stats' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ events: 2, anonymousVisitors: 2 });
    // Answered while every reader was still taken: it did not wait for one.
    expect(settled).toBe(0);
    await Promise.all(blockers);
  });
});

describe('SQLite reader threads', () => {
  it('start all at the first query, so the dashboard\'s first funnel does not wait for threads to start', async () => {
    const c = await harness.collector('sqlite');
    expect((await send(c, [page('a-1')])).status).toBe(200);
    const pool = c.store.reader as ReaderPool;
    expect(pool.threads).toBe(0);
    expect((await get(c, '/v1/conflicts')).status).toBe(200);
    expect(pool.threads).toBe(pool.concurrency);
    expect(pool.concurrency).toBeGreaterThan(1);
  });
});

describe('SQLite reader threads that cannot start', () => {
  it('refuse the queries waiting for them with the reason, and a later query tries a new thread', async () => {
    // A read-only connection to a file that does not exist fails as the thread opens it.
    const pool = new ReaderPool(join(harness.dir, 'missing.db'), 2, 10_000);
    try {
      const waiting = await Promise.allSettled([pool.get('SELECT 1 AS n'), pool.get('SELECT 2 AS n')]);
      expect(waiting.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(String((waiting[0] as PromiseRejectedResult).reason)).toMatch(/a SQLite reader cannot open the database: \w/);
      await expect(pool.get('SELECT 3 AS n')).rejects.toThrow(/a SQLite reader cannot open the database: \w/);
    } finally {
      await pool.close();
    }
  });
});
