/**
 * The SQLite writer thread: events cross to it intact, a thread that dies
 * fails only the writes it held and the next write starts a new one, an
 * in-memory store writes in place, and an idle store never holds the process.
 * The checkpoint thread copies the WAL back while the store is open, and
 * under steady writes and reads makes the WAL start over, so it stays bounded.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createCollector, SqliteStore, type StoredEvent } from '../../src/collector/index.js';
import { CheckpointThread, WAL_RESTART_PAGES, WriterThread } from '../../src/collector/store/sqliteThreads.js';
import { packBatches, unpackBatches } from '../../src/collector/store/sqliteWire.js';
import { WalGate } from '../../src/collector/store/walGate.js';
import { eventually } from '../support/poll.js';
import { get, identify, send, track, useHarness, walRestarts } from './helpers.js';

const harness = useHarness();
const run = promisify(execFile);

function event(fields: Partial<StoredEvent> = {}): StoredEvent {
  const messageId = randomUUID();
  return {
    messageId, kind: 'track', event: 'E', anonymousId: 'anon', userId: null, previousId: null, groupId: null, unverifiedUserId: null, traits: null,
    source: 'web', timestamp: 1_700_000_000_000, originalTimestamp: null, receivedAt: 1_700_000_000_500,
    body: JSON.stringify({ type: 'track', messageId, anonymousId: 'anon', event: 'E' }), ...fields,
  };
}

describe('SQLite writer thread', () => {
  it('packs events into flat arrays and back without losing a field', () => {
    const batches = [[event({ kind: 'identify', userId: 'u', traits: { plan: 'pro', nested: { n: 1 } }, event: null, originalTimestamp: 5 })], [], [event(), event({ source: 'api' })]];
    expect(unpackBatches(structuredClone(packBatches(batches)))).toEqual(batches);
  });

  it('fails only the writes in flight when the thread dies, and the next write starts a new thread', async () => {
    const location = await harness.database('sqlite');
    const store = new SqliteStore(location); // migrates the file
    const thread = new WriterThread(location);
    try {
      expect(await thread.write([[event()]])).toEqual([{ stored: 1, duplicates: 0 }]);
      const worker = (thread as unknown as { worker: Worker }).worker;
      // Another connection holds the write lock, so the held write cannot
      // commit before the thread is stopped, however slow the machine is.
      const lock = new Database(location);
      lock.exec('BEGIN IMMEDIATE');
      const held = thread.write([[event()]]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stopped = worker.terminate();
      lock.exec('ROLLBACK');
      lock.close();
      await stopped;
      await expect(held).rejects.toThrow(/writer thread stopped|terminated/);
      expect(await thread.write([[event(), event()]])).toEqual([{ stored: 2, duplicates: 0 }]);
      expect((await store.reader.get<{ n: number }>('SELECT count(*) AS n FROM events'))!.n).toBeGreaterThanOrEqual(3);
    } finally {
      await thread.close();
      await store.close();
    }
  });

  it('the checkpoint thread copies committed pages into the database file while the store stays open', async () => {
    const location = await harness.database('sqlite');
    const store = new SqliteStore(location);
    try {
      const before = statSync(location).size;
      // About 6 MB of events: far below the writer's own checkpoint threshold (50,000 pages), so only the checkpoint thread copies them.
      for (let i = 0; i < 10; i++) await store.ingest(Array.from({ length: 1000 }, () => event({ body: JSON.stringify({ pad: 'x'.repeat(500) }) })));
      await eventually(async () => (statSync(location).size - before > 5_000_000 ? true : undefined), 'the database file to take the checkpointed pages', 5_000);
    } finally {
      await store.close();
    }
  });

  it('the WAL starts over under steady writes while a reader polls, so it stays far below what was written through it', async () => {
    const location = await harness.database('sqlite');
    const store = new SqliteStore(location);
    let polling = true;
    const reads = (async () => {
      let n = 0;
      for (; polling; n++) {
        await store.reader.get('SELECT count(*) AS n FROM events');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return n;
    })();
    try {
      const bound = 64 * 1024 * 1024; // README "The collector": the WAL is cut back to 64 MB
      expect(WAL_RESTART_PAGES * 4096).toBeLessThan(bound);
      let largest = 0;
      // Two transactions' batches always queued, so the writer never waits for one and a passive copy never
      // finds the WAL copied through; each event's 1 KB body makes about 100 MB of pages go through the WAL.
      const ingest = async () => {
        for (let i = 0; i < 50; i++) {
          await store.ingest(Array.from({ length: 500 }, () => event({ body: JSON.stringify({ pad: 'x'.repeat(1000) }) })));
          largest = Math.max(largest, statSync(`${location}-wal`).size);
        }
      };
      await Promise.all([ingest(), ingest(), ingest()]);
      expect(largest).toBeGreaterThan(WAL_RESTART_PAGES * 4096);
      expect(largest).toBeLessThan(bound);
      expect(walRestarts(location)).toBeGreaterThanOrEqual(2);
      polling = false;
      expect(await reads).toBeGreaterThan(0);
      expect((await store.reader.get<{ n: number }>('SELECT count(*) AS n FROM events'))!.n).toBe(75_000);
    } finally {
      polling = false;
      await reads.catch(() => {});
      await store.close();
    }
  });

  it('does not hold the writer while a reader keeps the WAL from starting over, and starts it over once that reader is done', async () => {
    const location = await harness.database('sqlite');
    await new SqliteStore(location).close(); // migrates the file
    const gate = new WalGate();
    const writer = new WriterThread(location, gate);
    const checkpoints = new CheckpointThread(location, undefined, gate);
    const reader = new Database(location, { readonly: true });
    // Each batch about 0.6 MB of pages through the WAL.
    const write = async (batches: number) => {
      for (let i = 0; i < batches; i++) await writer.write([Array.from({ length: 500 }, () => event({ body: JSON.stringify({ pad: 'x'.repeat(1000) }) }))]);
    };
    try {
      await write(2);
      // A read transaction on the frames so far (a long query's): no frame after them can be copied back while it lasts.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) AS n FROM events').get();
      const held = gate.holds;
      const restarts = walRestarts(location);
      await write(80);
      // Far past the length at which a writer that outruns the copies is held anyway (7,680 pages, 30 MiB).
      expect(statSync(`${location}-wal`).size).toBeGreaterThan(40 * 1024 * 1024);
      expect(walRestarts(location)).toBe(restarts);
      // Holding the writer could not make the WAL start over: it was not held (before, every tick held it).
      expect(gate.holds - held).toBeLessThanOrEqual(1);
      reader.exec('COMMIT');
      await write(80);
      expect(walRestarts(location)).toBeGreaterThan(restarts);
      expect(gate.holds).toBeGreaterThan(held);
    } finally {
      reader.close();
      await writer.close();
      await checkpoints.close();
    }
  });

  it('a checkpoint thread that dies says so through the store\'s warn, and closing it then resolves at once', async () => {
    const warned: [string, unknown][] = [];
    const thread = new CheckpointThread(join(harness.dir, 'no-such-dir', 'x.db'), (message, error) => void warned.push([message, error]));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the thread cannot open the file and ends
    expect(warned.map(([message]) => message)).toEqual(['the WAL checkpoint thread failed; the writer checkpoints by itself from now on']);
    expect(String(warned[0]![1])).toMatch(/directory does not exist|unable to open|SQLITE_CANTOPEN/i);
    await expect(Promise.race([thread.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('hung'), 3000))])).resolves.toBe('closed');
  });

  it('writes an in-memory store in place (a second connection would see another database)', async () => {
    const c = await createCollector({ database: ':memory:', logLevel: 'silent' });
    try {
      await send(c, [track({ anonymousId: 'mem' }, 'A'), identify('mem', 'mem-user')]);
      expect((await get(c, '/v1/users/mem-user')).body).toMatchObject({ eventCount: 2, anonymousIds: ['mem'] });
    } finally {
      await c.close();
    }
  });

  it('an open, idle store does not keep the process alive; a pending write does until it commits', async () => {
    const location = join(harness.dir, 'exit.db');
    const script = `
      import { SqliteStore } from './src/collector/store/sqlite.ts';
      const store = new SqliteStore(${JSON.stringify(location)});
      const body = JSON.stringify({ type: 'track' });
      store.ingest([{ messageId: 'm1', kind: 'track', event: 'E', anonymousId: 'a', userId: null, previousId: null, groupId: null, unverifiedUserId: null,
        traits: null, source: 'web', timestamp: 1, originalTimestamp: 1, receivedAt: 1, body }]).then((r) => console.log(JSON.stringify(r)));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../..'), timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ stored: 1, duplicates: 0 });
    const store = new SqliteStore(location);
    try {
      expect((await store.reader.get<{ n: number }>('SELECT count(*) AS n FROM events'))!.n).toBe(1);
    } finally {
      await store.close();
    }
  });
});
