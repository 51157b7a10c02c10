/**
 * The embedded store: one SQLite file (better-sqlite3), WAL journal,
 * prepared statements, and every HTTP batch that arrives within a tick
 * written in one transaction.
 *
 * `synchronous = NORMAL` with WAL: a commit is in the WAL (the OS has it)
 * before the 200 goes out, so a crash or SIGKILL of the collector loses
 * nothing that was answered; only a power cut or kernel crash could lose the
 * last commits (the database stays consistent). `FULL` would fsync every
 * commit and cost most of the ingest rate for that one case.
 */
import Database from 'better-sqlite3';
import { applyBatches, dedupeKey, SQL, UPSERT, type ConflictRecord, type IdTable, type WriteTx } from './apply.js';
import { META_TABLE, migrationsFrom, READ_VERSION, SCHEMA_VERSION, WRITE_VERSION } from './schema.js';
import type { IngestResult, SqlReader, Store, StoredEvent } from './types.js';
import { WriteQueue } from '../writeQueue.js';
import type { LinkAttempt, MembershipWrite, TraitWrite } from '../identity.js';

const INSERT_EVENT = `INSERT INTO events (message_id, type, event, anonymous_id, user_id, group_id, source, ts, original_ts, received_at, body)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly reader: SqlReader;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue = new WriteQueue<readonly StoredEvent[], IngestResult>((batches) => this.flush(batches), 1);
  private readonly tx: WriteTx;
  private closed = false;

  constructor(readonly location: string) {
    this.db = new Database(location);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Random keys (message ids, anonymous ids) touch pages all over the
    // indexes: a bigger cache saves re-reading them, and rarer checkpoints
    // (each one fsyncs the database file) keep commits short.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('wal_autocheckpoint = 10000');
    this.migrate();
    this.reader = {
      all: async <T>(sql: string, params: readonly unknown[] = []) => this.prepare(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly unknown[] = []) => this.prepare(sql).get(...params) as T | undefined,
    };
    this.tx = this.writeTx();
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private migrate(): void {
    this.db.exec(META_TABLE);
    this.db.transaction(() => {
      const row = this.db.prepare(READ_VERSION).get() as { value: string } | undefined;
      const version = row ? Number(row.value) : 0;
      for (const statement of migrationsFrom(version, 'sqlite')) this.db.exec(statement);
      if (version !== SCHEMA_VERSION) this.db.prepare(WRITE_VERSION).run(String(SCHEMA_VERSION));
    }).immediate();
  }

  private writeTx(): WriteTx {
    // Each statement prepared once: the SQL is never rebuilt or looked up per row.
    const insertEvent = this.db.prepare(INSERT_EVENT);
    const register: Record<IdTable, Database.Statement<[string, number]>> = {
      anonymous_ids: this.db.prepare('INSERT INTO anonymous_ids (anonymous_id, first_seen) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      users: this.db.prepare('INSERT INTO users (user_id, first_seen) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      companies: this.db.prepare('INSERT INTO companies (company_id, first_seen) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    };
    const insertLink = this.db.prepare(SQL.insertLink);
    const linkedUser = this.db.prepare(SQL.linkedUser);
    const recordConflict = this.db.prepare(SQL.recordConflict);
    const upsertTrait = this.db.prepare(`INSERT INTO traits (subject_kind, subject_id, key, value, ts) VALUES (?, ?, ?, ?, ?) ${UPSERT.traits}`);
    const upsertMembership = this.db.prepare(`INSERT INTO memberships (subject_kind, subject_id, company_id, ts) VALUES (?, ?, ?, ?) ${UPSERT.memberships}`);
    return {
      insertEvents: async (events) => {
        const inserted = new Set<string>();
        for (const e of events) {
          const { changes } = insertEvent.run(e.messageId, e.kind, e.event, e.anonymousId, e.userId, e.groupId, e.source,
            e.timestamp, e.originalTimestamp, e.receivedAt, e.body);
          if (changes) inserted.add(dedupeKey(e.messageId, e.originalTimestamp));
        }
        return inserted;
      },
      registerIds: async (table: IdTable, entries) => {
        const statement = register[table];
        for (const [id, at] of entries) statement.run(id, at);
      },
      insertLink: async (l: LinkAttempt) => insertLink.run(l.anonymousId, l.userId, l.at, l.messageId).changes > 0,
      linkedUser: async (anonymousId) => (linkedUser.get(anonymousId) as { user_id: string } | undefined)?.user_id,
      recordConflict: async (c: ConflictRecord) => {
        recordConflict.run(c.anonymousId, c.userId, c.attemptedUserId, c.at, c.messageId);
      },
      upsertTraits: async (writes: readonly TraitWrite[]) => {
        for (const t of writes) upsertTrait.run(t.kind, t.id, t.key, t.value, t.ts);
      },
      upsertMemberships: async (writes: readonly MembershipWrite[]) => {
        for (const m of writes) upsertMembership.run(m.kind, m.id, m.companyId, m.ts);
      },
    };
  }

  /**
   * One transaction for the whole flush. The awaits inside only wait on
   * already-settled promises (better-sqlite3 is synchronous) and the queue
   * runs one flush at a time, so nothing else writes in between.
   */
  private async flush(batches: (readonly StoredEvent[])[]): Promise<IngestResult[]> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const results = await applyBatches(this.tx, batches);
      this.db.exec('COMMIT');
      return results;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async ingest(events: readonly StoredEvent[]): Promise<IngestResult> {
    if (this.closed) throw new Error('idstitch collector: the store is closed');
    if (!events.length) return { stored: 0, duplicates: 0 };
    return this.queue.push(events);
  }

  async ping(): Promise<void> {
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    this.db.close();
  }
}
