/**
 * The SQLite write side: one connection that runs the ingest transactions.
 *
 * For a file it runs on its own thread (sqliteThreads.ts, `WriterThread`):
 * better-sqlite3 is synchronous, so on the event loop every commit, index page
 * write and WAL checkpoint would stall request parsing, the query API and the
 * dashboard. On its own thread the writes use another core. An in-memory
 * database cannot be shared between connections, so it is written in place.
 */
import type Database from 'better-sqlite3';
import { applyBatches, dedupeKey, SQL, UPSERT, type ConflictRecord, type IdTable, type WriteTx } from './apply.js';
import { eraseIn, eraseWithRetries, type Erasure, type ErasureTarget, type EraseTx } from './erase.js';
import { ADD_COUNTS } from './schema.js';
import { IS_STORED, VISITOR_OF } from './visitors.js';
import { eventHashes, IdHasher, READ_KEY } from './suppression.js';
import { anonymousPrincipal, userPrincipal } from '../funnel.js';
import { FIRST_STEPS_SQL, MOVE_FIRST_STEPS_SQLITE, UPSERT_FIRST_STEP_SQLITE } from './firstSteps.js';
import { applyPeopleUpdate, PEOPLE_SQL } from '../people.js';
import type { IngestResult, StoredEvent } from './types.js';
import type { LinkAttempt, MembershipWrite, TraitWrite } from '../identity.js';

/** Pages the WAL may gather before the writer copies them back itself (the checkpoint thread normally has). */
export const WRITER_CHECKPOINT_PAGES = 50_000;
/** How often the checkpoint thread copies the WAL back into the database. */
export const CHECKPOINT_EVERY_MS = 25;

/** Settings for every connection to the file, reading or writing. */
export function configure(db: Database.Database): void {
  // First, so that every pragma below (journal_mode takes a lock) waits for a busy database rather than failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // A commit is in the WAL (the OS has it) before the 200 goes out, so a
  // crash of the collector loses nothing that was answered; only a power cut
  // could lose the last commits. FULL would fsync every commit.
  db.pragma('synchronous = NORMAL');
  // Random keys (anonymous ids) touch pages all over their indexes: a bigger
  // cache saves re-reading them.
  db.pragma('cache_size = -65536');
  // A WAL that grew in a burst is cut back to this size once it starts over.
  db.pragma('journal_size_limit = 67108864');
}

const INSERT_EVENT = `INSERT INTO events (message_id, type, event, anonymous_id, user_id, group_id, source, ts, original_ts, received_at, body, visitor)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

const SUPPRESS = 'INSERT INTO suppressions (id_hash, erased_at) VALUES (?, ?) ON CONFLICT (id_hash) DO NOTHING';

/** The ingest and erasure transactions on one connection, every statement prepared once, run one at a time. */
export class SqliteWrites {
  private readonly tx: WriteTx;
  private readonly eraseTx: EraseTx;
  /** The transaction running or last run: the next one starts after it. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The links the running ingest transaction has read or made, by anonymous id (undefined: none). */
  private readonly links = new Map<string, string | undefined>();

  constructor(private readonly db: Database.Database) {
    const insertEvent = db.prepare(INSERT_EVENT);
    const registerAnonymous = db.prepare<[string, number]>('INSERT INTO anonymous_ids (anonymous_id, first_seen) VALUES (?, ?)');
    const visitorOf = db.prepare<[string]>(VISITOR_OF).pluck();
    const isStored = db.prepare<[number, string]>(IS_STORED).pluck();
    const register: Record<IdTable, Database.Statement<[string, number]>> = {
      users: db.prepare('INSERT INTO users (user_id, first_seen) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      companies: db.prepare('INSERT INTO companies (company_id, first_seen) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    };
    const insertLink = db.prepare(SQL.insertLink);
    const clearConfirmedClaim = db.prepare(SQL.clearConfirmedClaim);
    const addCounts = db.prepare(ADD_COUNTS);
    const linkedUser = db.prepare(SQL.linkedUser);
    const recordConflict = db.prepare(SQL.recordConflict);
    const upsertTrait = db.prepare(`INSERT INTO traits (subject_kind, subject_id, key, value, ts) VALUES (?, ?, ?, ?, ?) ${UPSERT.traits}`);
    const upsertMembership = db.prepare(`INSERT INTO memberships (subject_kind, subject_id, company_id, ts) VALUES (?, ?, ?, ?) ${UPSERT.memberships}`);
    const upsertFirstStep = db.prepare(UPSERT_FIRST_STEP_SQLITE);
    const moveFirstSteps = db.prepare(MOVE_FIRST_STEPS_SQLITE);
    const dropFirstSteps = db.prepare('DELETE FROM first_steps WHERE principal = ?');
    const dropPrincipal = db.prepare('DELETE FROM principal_ids WHERE id = ?');
    const renamePrincipal = db.prepare('UPDATE principal_ids SET key = ? WHERE id = ?');
    const idOf = (table: 'step' | 'principal') => {
      const find = db.prepare(table === 'step' ? FIRST_STEPS_SQL.stepId : FIRST_STEPS_SQL.principalId).pluck();
      const add = db.prepare(table === 'step' ? FIRST_STEPS_SQL.addStep : FIRST_STEPS_SQL.addPrincipal);
      return {
        find: (key: string) => find.get(key) as number | undefined,
        /** The key's id, made if new (one writer: no one else makes it meanwhile). */
        ensure: (key: string) => (find.get(key) as number | undefined) ?? Number(add.run(key).lastInsertRowid),
      };
    };
    const stepIds = idOf('step');
    const principalIds = idOf('principal');
    /** A new link: the anonymous id's first times join its user's (funnel.ts). */
    const mergeFirstSteps = (anonymousId: string, userId: string) => {
      const from = principalIds.find(anonymousPrincipal(anonymousId));
      if (from === undefined) return;
      const to = principalIds.find(userPrincipal(userId));
      // A user without first times yet (a visitor's first login): the anonymous id's rows become the user's where they are.
      if (to === undefined) {
        renamePrincipal.run(userPrincipal(userId), from);
        return;
      }
      moveFirstSteps.run(to, to, from);
      dropFirstSteps.run(from);
      dropPrincipal.run(from);
    };
    // People, the first times and the claims each ask an anonymous id's link; one read per id and transaction.
    const links = this.links;
    const linkOf = (anonymousId: string) => {
      if (links.has(anonymousId)) return links.get(anonymousId);
      const user = (linkedUser.get(anonymousId) as { user_id: string } | undefined)?.user_id;
      links.set(anonymousId, user);
      return user;
    };
    // The store migrated the file, and made the key, before this connection opened.
    const hasher = new IdHasher((db.prepare(READ_KEY).get() as { value: string }).value);
    const anySuppressed = db.prepare('SELECT 1 FROM suppressions LIMIT 1').pluck();
    const isSuppressed = db.prepare('SELECT 1 FROM suppressions WHERE id_hash = ?').pluck();
    const suppress = db.prepare(SUPPRESS);
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    };
    this.tx = {
      registerVisitors: async (entries) => {
        const numbers = new Map<string, number>();
        let added = 0;
        for (const [id, named] of entries) {
          let visitor = visitorOf.get(id) as number | undefined;
          if (visitor === undefined) {
            if (named.every((e) => isStored.get(e.originalTimestamp ?? 0, e.messageId) !== undefined)) continue;
            visitor = Number(registerAnonymous.run(id, named[0]!.receivedAt).lastInsertRowid);
            added++;
            // An anonymous id new now has no link but one this transaction makes (a link is written with its id's registration).
            links.set(id, undefined);
          }
          numbers.set(id, visitor);
        }
        return { numbers, added };
      },
      insertEvents: async (events, visitors) => {
        const inserted = new Set<string>();
        for (const e of events) {
          const visitor = e.userId === null && e.anonymousId !== null ? visitors.get(e.anonymousId) : undefined;
          const { changes } = insertEvent.run(e.messageId, e.kind, e.event, e.anonymousId, e.userId, e.groupId, e.source,
            e.timestamp, e.originalTimestamp, e.receivedAt, e.body, visitor ?? null);
          if (changes) inserted.add(dedupeKey(e.messageId, e.originalTimestamp));
        }
        return inserted;
      },
      registerIds: async (table: IdTable, entries) => {
        const statement = register[table];
        const added: string[] = [];
        for (const [id, at] of entries) if (statement.run(id, at).changes) added.push(id);
        return added;
      },
      insertLinks: async (attempts: readonly LinkAttempt[]) => {
        const made = new Set<LinkAttempt>();
        for (const l of attempts) {
          if (!insertLink.run(l.anonymousId, l.userId, l.at, l.messageId).changes) continue;
          links.set(l.anonymousId, l.userId);
          clearConfirmedClaim.run(l.anonymousId, l.userId);
          mergeFirstSteps(l.anonymousId, l.userId);
          for (const [move, drop] of PEOPLE_SQL.merge) {
            prepared(move).run(l.userId, l.anonymousId);
            prepared(drop).run(l.anonymousId);
          }
          made.add(l);
        }
        return made;
      },
      linkedUsers: async (anonymousIds) => {
        const owners = new Map<string, string>();
        for (const id of anonymousIds) {
          const user = linkOf(id);
          if (user !== undefined) owners.set(id, user);
        }
        return owners;
      },
      recordConflict: async (c: ConflictRecord) => {
        recordConflict.run(c.anonymousId, c.userId, c.attemptedUserId, c.at, c.messageId, c.reason);
      },
      upsertTraits: async (writes: readonly TraitWrite[]) => {
        for (const t of writes) upsertTrait.run(t.kind, t.id, t.key, t.value, t.ts);
      },
      upsertMemberships: async (writes: readonly MembershipWrite[]) => {
        for (const m of writes) upsertMembership.run(m.kind, m.id, m.companyId, m.ts);
      },
      addCounts: async (d) => {
        addCounts.run(0, d.events, d.users, d.anonymousIds, d.linkedAnonymousIds);
      },
      suppressedAmong: async (events) => {
        const refused = new Set<number>();
        // Nothing erased yet (most stores): no hashing at all.
        if (anySuppressed.get() === undefined) return refused;
        const { hashes, positions } = eventHashes(hasher, events);
        const seen = new Map<string, boolean>();
        hashes.forEach((hash, i) => {
          let hit = seen.get(hash);
          if (hit === undefined) seen.set(hash, (hit = isSuppressed.get(hash) !== undefined));
          if (hit) refused.add(positions[i]!);
        });
        return refused;
      },
      recordPeople: (update) => applyPeopleUpdate((sql, params) => prepared(sql).run(...params), async (id) => linkOf(id), update),
      recordFirstSteps: async (steps) => {
        const known = new Map<typeof stepIds, Map<string, number>>([[stepIds, new Map()], [principalIds, new Map()]]);
        const idOfKey = (dictionary: typeof stepIds, key: string) => {
          const ids = known.get(dictionary)!;
          let id = ids.get(key);
          if (id === undefined) ids.set(key, (id = dictionary.ensure(key)));
          return id;
        };
        for (const { step, userId, anonymousId, ts } of steps) {
          let principal: string;
          if (userId !== null) principal = userPrincipal(userId);
          else {
            const linked = linkOf(anonymousId!);
            principal = linked !== undefined ? userPrincipal(linked) : anonymousPrincipal(anonymousId!);
          }
          const principalId = idOfKey(principalIds, principal);
          // Two candidates of one principal (its user's own event and a linked id's) keep the earlier: the upsert's rule.
          upsertFirstStep.run(idOfKey(stepIds, step), principalId, principalId, ts);
        }
      },
    };
    this.eraseTx = {
      run: async (sql, params) => prepared(sql).run(...params).changes,
      all: async <T>(sql: string, params: readonly unknown[]) => prepared(sql).all(...params) as T[],
      // One writer: nothing to wait for.
      lockIds: async () => {},
      suppress: async (hashes, at) => {
        for (const hash of hashes) suppress.run(hash, at);
      },
      addCounts: this.tx.addCounts,
      hasher,
      dialect: 'sqlite',
    };
  }

  /**
   * Writes the HTTP batches in one transaction. The awaits inside only wait
   * on settled promises (better-sqlite3 is synchronous) and one transaction
   * runs at a time, so nothing else writes in between.
   */
  write(batches: readonly (readonly StoredEvent[])[]): Promise<IngestResult[]> {
    return this.serial(() => {
      this.links.clear();
      return this.transaction(() => applyBatches(this.tx, batches), () => true);
    });
  }

  /**
   * Erases a user or an anonymous visitor (erase.ts) in one transaction,
   * between two ingest transactions; null when the id is unknown. Deleted
   * rows are overwritten with zeros in the file (`secure_delete`), so they
   * are gone from the database pages, not only unlinked (README "Erasure"
   * says what the WAL may still hold).
   */
  erase(target: ErasureTarget): Promise<Erasure | null> {
    return this.serial(async () => {
      this.db.pragma('secure_delete = ON');
      try {
        return await eraseWithRetries(target, (relock) => this.transaction(() => eraseIn(this.eraseTx, target, relock), (outcome) => 'erased' in outcome));
      } finally {
        this.db.pragma('secure_delete = OFF');
      }
    });
  }

  /** Runs `work` in one transaction; commits when `commit` says so, otherwise (or on an error) rolls back. */
  private async transaction<T>(work: () => Promise<T>, commit: (result: T) => boolean): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work();
      this.db.exec(commit(result) ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Starts `work` once the transaction before it is done, failed or not. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => {});
    return run;
  }
}
