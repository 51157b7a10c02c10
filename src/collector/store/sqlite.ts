/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode. Queries
 * run on reader threads (sqliteReader.ts), but the few-row reads of the
 * stats, which the event loop's own connection answers in microseconds;
 * ingest transactions run on a writer thread, every HTTP batch that arrives
 * while one commits joining the next, and another thread copies the WAL back
 * into the database (see sqliteWrites.ts, sqliteThreads.ts).
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Erasure, ErasureTarget } from './erase.js';
import { META_TABLE, migrationsFrom, READ_VERSION, SCHEMA_VERSION, WRITE_VERSION } from './schema.js';
import { ENSURE_KEY, newSuppressionKey } from './suppression.js';
import { CheckpointThread, WriterThread } from './sqliteThreads.js';
import { configure, SqliteWrites } from './sqliteWrites.js';
import { backlogSize, DEFAULT_QUERY_TIMEOUT_MS, type IngestResult, type SqlReader, type Store, type StoredEvent, type StoreOptions } from './types.js';
import { WriteQueue, type Backlog } from '../writeQueue.js';
import { ReaderPool } from './sqliteReader.js';
import { sqliteDriver } from './drivers.js';
import { WalGate } from './walGate.js';

/**
 * Reader threads per store: a funnel runs in two parts at once on two of them (query.ts), sized for two cores, and
 * the third keeps the dashboard's other reads (the chart, the People list) from queueing behind it.
 */
const READER_THREADS = 3;

/** True for the locations SQLite opens as a private in-memory database. */
const inMemory = (location: string) => location === '' || location === ':memory:' || /^file:.*[?&]mode=memory/.test(location);

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly reader: SqlReader;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly thread: WriterThread | undefined;
  private readonly checkpoints: CheckpointThread | undefined;
  private readonly queue: WriteQueue<readonly StoredEvent[], IngestResult>;
  /** Where erasures run: the writer thread, or (in memory) the one connection. Both order them among the ingest transactions. */
  private readonly eraser: { erase(target: ErasureTarget): Promise<Erasure | null> };
  private readonly erasures = new Set<Promise<unknown>>();
  private closed = false;

  private readonly readers: ReaderPool | undefined;

  constructor(readonly location: string, options: StoreOptions = {}) {
    const { backlog } = options;
    this.db = new (sqliteDriver())(location);
    try {
      configure(this.db);
      this.migrate();
      if (inMemory(location)) {
        // Another connection would open another, empty database.
        const writes = (this.eraser = new SqliteWrites(this.db));
        this.queue = new WriteQueue((batches) => writes.write(batches), 1, undefined, backlog, backlogSize);
      } else {
        // The threads open the file later: a relative path must not follow a chdir in between.
        const file = resolve(location);
        const gate = new WalGate();
        const thread = (this.thread = this.eraser = new WriterThread(file, gate));
        this.checkpoints = new CheckpointThread(file, options.warn, gate);
        this.queue = new WriteQueue((batches) => thread.write(batches), 1, undefined, backlog, backlogSize);
        this.readers = new ReaderPool(file, READER_THREADS, options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, this.inPlace);
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.reader = this.readers ?? this.inPlace;
  }

  /**
   * Reads on the event loop's own connection: an in-memory database's, which no other connection can open, and a
   * file's few-row reads ({@link SqlReader.quick}), which take microseconds there where a reader thread may be busy
   * with a funnel for 100 ms. They have no time limit of their own: only what SQLite's busy timeout allows (a WAL
   * that another process is recovering).
   */
  private readonly inPlace: SqlReader = {
    all: async <T>(sql: string, params: readonly unknown[] = []) => this.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => this.prepare(sql).get(...params) as T | undefined,
  };

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs before the writer thread starts, so the schema is ready for it. */
  private migrate(): void {
    this.db.exec(META_TABLE);
    this.db.transaction(() => {
      const row = this.db.prepare(READ_VERSION).get() as { value: string } | undefined;
      const version = row ? Number(row.value) : 0;
      for (const statement of migrationsFrom(version, 'sqlite')) this.db.exec(statement);
      if (version !== SCHEMA_VERSION) this.db.prepare(WRITE_VERSION).run(String(SCHEMA_VERSION));
      this.db.prepare(ENSURE_KEY).run(newSuppressionKey());
    }).immediate();
  }

  async ingest(events: readonly StoredEvent[]): Promise<IngestResult> {
    if (this.closed) throw new Error('idstitch collector: the store is closed');
    if (!events.length) return { stored: 0, duplicates: 0 };
    return this.queue.push(events);
  }

  async erase(target: ErasureTarget): Promise<Erasure | null> {
    if (this.closed) throw new Error('idstitch collector: the store is closed');
    const erasure = this.eraser.erase(target);
    this.erasures.add(erasure);
    try {
      return await erasure;
    } finally {
      this.erasures.delete(erasure);
    }
  }

  backlog(): Backlog {
    return this.queue.backlog();
  }

  async ping(): Promise<void> {
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    await Promise.allSettled(this.erasures);
    await this.readers?.close();
    await this.thread?.close();
    // The checkpoint thread's connection last: it checkpoints and removes the WAL, then closes its own descriptor
    // of the file, which would drop the locks of a connection still open in this process.
    this.db.close();
    await this.checkpoints?.close();
  }
}
