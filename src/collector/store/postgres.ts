/**
 * The PostgreSQL store: a pooled `pg` client, tables in their own schema
 * (`idstitch`), created and versioned at start under an advisory lock so
 * several instances can start together.
 *
 * The collector keeps no state of its own here: dedupe and linking rest on
 * unique constraints (`INSERT ... ON CONFLICT`), so instances behind a load
 * balancer agree. A transaction that loses a deadlock or a serialization
 * race is retried whole.
 */
import type pg from 'pg';
import { applyBatches, countStored, dedupeKey, onlyRegistersIds, SQL, UPSERT, type IdTable, type WriteTx } from './apply.js';
import { eraseIn, eraseWithRetries, type Erasure, type ErasureTarget, type EraseOutcome, type EraseTx } from './erase.js';
import { ADD_COUNTS, COUNTER_SHARDS, META_TABLE, migrationsFrom, READ_VERSION, SCHEMA_VERSION, WRITE_VERSION, type CounterDelta } from './schema.js';
import { ENSURE_KEY, eventHashes, IdHasher, lockSet, newSuppressionKey, READ_KEY } from './suppression.js';
import { backlogSize, DEFAULT_QUERY_TIMEOUT_MS, type IngestResult, type SqlReader, type Store, type StoredEvent, type StoreOptions } from './types.js';
import { WriteQueue, type Backlog, type BacklogLimit } from '../writeQueue.js';
import { queryOverLimit, type HttpError } from '../errors.js';
import { pgDriver } from './drivers.js';
import { EVENT_STEP_SQL, HAS_STEP_SQL, type FirstStep } from '../funnel.js';
import { PEOPLE_UPSERT, type PeopleUpdate } from '../people.js';

/** The PostgreSQL schema that holds the collector's tables. */
export const PG_SCHEMA = 'idstitch';
// Any constant; only collectors take this lock, around schema changes.
const SCHEMA_LOCK = 0x1d571c4;
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (our SQL has no `?` elsewhere). */
export function numberedParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// Counts and sums come back as int8/numeric; every value we store fits a double.
const typesOf = (driver: typeof pg) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700 ? (value: string) => Number(value) : driver.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

type Query = (sql: string, params?: readonly unknown[]) => Promise<pg.QueryResult>;

const EVENT_COLUMNS = 'message_id, type, event, anonymous_id, user_id, group_id, source, ts, original_ts, received_at, body';
/** The rows of the events given as {@link eventColumns}, and `extra` more columns. */
const eventRows = (extra = '') => `unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::bigint[], $9::bigint[], $10::bigint[], string_to_array($11::text, chr(31))${extra})`;
/** Inserts the events given as {@link eventColumns} and their visitor numbers ($12), skipping those already stored. */
const INSERT_EVENTS = `INSERT INTO events (${EVENT_COLUMNS}, visitor) SELECT * FROM ${eventRows(', $12::bigint[]')} ON CONFLICT DO NOTHING`;

/** The events as one array per column, the parameters of {@link INSERT_EVENTS}. */
const eventColumns = (events: readonly StoredEvent[]) => [
  events.map((e) => e.messageId), events.map((e) => e.kind), events.map((e) => e.event),
  events.map((e) => e.anonymousId), events.map((e) => e.userId), events.map((e) => e.groupId),
  events.map((e) => e.source), events.map((e) => e.timestamp), events.map((e) => e.originalTimestamp),
  events.map((e) => e.receivedAt),
  // The bodies joined by U+001F, which JSON text never holds raw (JSON.stringify escapes every control
  // character): as a text[] parameter, escaping the quotes of every body cost more than the rest of the insert.
  joinBodies(events),
];

function joinBodies(events: readonly StoredEvent[]): string {
  const joined = events.map((e) => e.body).join('\u001f');
  if (joined.split('\u001f').length !== events.length) throw new Error('idstitch collector: an event body is not JSON text (it holds a raw U+001F)');
  return joined;
}

/**
 * `poolSize` connections split between queries (a third, one to four: a funnel in parts takes all but one), from
 * five connections one more for the few-row reads ({@link SqlReader.quick}), and ingest transactions (the rest, at
 * least one).
 */
export function splitPool(poolSize: number): { readers: number; quick: number; writers: number } {
  const readers = Math.max(1, Math.min(4, Math.floor(poolSize / 3)));
  const quick = poolSize >= 5 ? 1 : 0;
  return { readers, quick, writers: Math.max(1, poolSize - readers - quick) };
}

/** A query cancelled by statement_timeout, or a wait for a connection past the limit, as a 503; otherwise undefined. */
function overLimit(error: unknown, limitMs: number): HttpError | undefined {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '57014') return queryOverLimit('took', limitMs);
  if (/timeout exceeded when trying to connect/i.test(message ?? '')) return queryOverLimit('waited', limitMs);
  return undefined;
}

/** The counter row a transaction adds to: any of them, so concurrent writers seldom wait on one. */
const counterShard = () => Math.floor(Math.random() * COUNTER_SHARDS);

const insertedKeys = (rows: readonly { message_id: string | null; original_ts: number | null }[]) =>
  new Set(rows.flatMap((row) => (row.message_id === null ? [] : [dedupeKey(row.message_id, row.original_ts)])));

/** The parameters of `suppressed_events` (schema.ts) for these events: the ids to lock, and each id hash with its event's position. */
function guardParams(hasher: IdHasher, events: readonly StoredEvent[]): unknown[] {
  const { userIds, anonymousIds } = lockSet(events);
  const { hashes, positions } = eventHashes(hasher, events);
  return [userIds, anonymousIds, hashes, positions];
}

/**
 * Events whose only graph effect is registering their ids (most of them:
 * page views, tracks, API calls) in one statement, so one round trip instead
 * of four (BEGIN, insert, register, COMMIT). First the guard against erasure
 * (`suppressed_events` in schema.ts: every id's lock, then the suppressed
 * events' positions); the events kept read its answer, so it runs first.
 * Then the anonymous ids of the events kept (each message's first copy)
 * get their numbers (`register_visitors`, visitors.ts), which the insert stores, as
 * {@link applyBatches} does; the users are those of the events inserted now,
 * first seen at their earliest arrival, in sorted order.
 */
const INSERT_REGISTERING = `WITH refused AS (SELECT suppressed_events($13::text[], $14::text[], $15::text[], $16::int[]) AS positions),
  kept AS (
    SELECT e.* FROM ${eventRows()} WITH ORDINALITY AS e (${EVENT_COLUMNS}, n)
    WHERE NOT EXISTS (SELECT 1 FROM refused r WHERE e.n - 1 = ANY (r.positions))),
  first_copies AS (
    SELECT DISTINCT ON (coalesce(k.original_ts, 0), k.message_id) k.anonymous_id, k.received_at, k.message_id, k.original_ts, k.n
    FROM kept k ORDER BY coalesce(k.original_ts, 0), k.message_id, k.n),
  visitors AS (
    SELECT * FROM register_visitors(ARRAY(SELECT anonymous_id FROM first_copies ORDER BY n), ARRAY(SELECT received_at FROM first_copies ORDER BY n),
      ARRAY(SELECT message_id FROM first_copies ORDER BY n), ARRAY(SELECT original_ts FROM first_copies ORDER BY n))),
  inserted AS (
    INSERT INTO events (${EVENT_COLUMNS}, visitor)
    SELECT ${EVENT_COLUMNS.split(', ').map((column) => `k.${column}`).join(', ')}, CASE WHEN k.user_id IS NULL THEN v.visitor END
    FROM kept k LEFT JOIN visitors v ON v.anonymous_id = k.anonymous_id ORDER BY k.n
    ON CONFLICT DO NOTHING RETURNING message_id, original_ts, anonymous_id, user_id, received_at, type, event, ts),
  users AS (
    INSERT INTO users (user_id, first_seen)
    SELECT user_id, min(received_at) FROM inserted WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY user_id
    ON CONFLICT DO NOTHING RETURNING 1),
  counted AS (
    INSERT INTO counters (shard, events, users, anonymous_ids, linked_anonymous_ids)
    SELECT $12::int, (SELECT count(*) FROM inserted), (SELECT count(*) FROM users), (SELECT count(*) FROM visitors WHERE added), 0
    ON CONFLICT (shard) DO UPDATE SET events = counters.events + excluded.events, users = counters.users + excluded.users,
      anonymous_ids = counters.anonymous_ids + excluded.anonymous_ids),
  steps AS (
    SELECT record_first_steps(array_agg(${EVENT_STEP_SQL('i')}),
      array_agg(user_id), array_agg(CASE WHEN user_id IS NULL THEN anonymous_id END), array_agg(ts))
    FROM inserted i WHERE ${HAS_STEP_SQL('i')}),
  people_counted AS (
    SELECT record_activity(array_agg(user_id), array_agg(CASE WHEN user_id IS NULL THEN anonymous_id END), array_agg(ts), array_agg(ts), array_agg(1::bigint))
    FROM inserted)
  SELECT message_id, original_ts, NULL::int[] AS refused FROM inserted WHERE (SELECT count(*) FROM steps) > 0 AND (SELECT count(*) FROM people_counted) > 0
  UNION ALL SELECT NULL, NULL, positions FROM refused`;
// $12: the counter shard, after eventColumns' eleven; $13 to $16: guardParams. `steps` and `people_counted` are read
// by the final SELECT only so that they run (PostgreSQL skips a plain WITH query nothing reads); each always has its one row.

type RegisteringRow = { message_id: string | null; original_ts: number | null; refused: number[] | null };

/** Adds a transaction's counts (negative for an erasure) to a random shard. */
const addCounts = (query: Query) => async (d: CounterDelta) => {
  await query(numberedParams(ADD_COUNTS), [counterShard(), d.events, d.users, d.anonymousIds, d.linkedAnonymousIds]);
};

/**
 * A field of `people` from trait or membership writes, one statement: each
 * subject resolved under the links, the newest write per row (one row may
 * not be updated twice by one statement).
 */
const peopleFromWrites = (set: string, order: string) => `INSERT INTO people (kind, id, ${set})
  SELECT DISTINCT ON (kind, id) kind, id, value, ts FROM (
    SELECT CASE WHEN s.kind = 'anon' AND l.user_id IS NOT NULL THEN 'user' ELSE s.kind END AS kind, COALESCE(l.user_id, s.id) AS id, s.value, s.ts
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS s (kind, id, value, ts)
    LEFT JOIN links l ON s.kind = 'anon' AND l.anonymous_id = s.id) r
  ORDER BY kind, id, ${order}`;
const PEOPLE_WRITES = {
  name: `${peopleFromWrites('name, name_ts', 'ts DESC')} ${PEOPLE_UPSERT.key('name')}`,
  email: `${peopleFromWrites('email, email_ts', 'ts DESC')} ${PEOPLE_UPSERT.key('email')}`,
  company: `${peopleFromWrites('company_id, company_ts', 'ts DESC, value DESC')} ${PEOPLE_UPSERT.company}`,
};

/** The `people` rows of an ingest transaction (people.ts), a statement per kind of change. */
async function recordPeople(query: Query, update: PeopleUpdate): Promise<void> {
  if (update.companies.length) await query("INSERT INTO people (kind, id) SELECT 'company', unnest($1::text[]) ON CONFLICT (kind, id) DO NOTHING", [update.companies]);
  const { activity } = update;
  if (activity.length) {
    await query('SELECT record_activity($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])',
      [activity.map((a) => a.userId), activity.map((a) => a.anonymousId), activity.map((a) => a.first), activity.map((a) => a.last), activity.map((a) => a.events)]);
  }
  for (const field of ['name', 'email'] as const) {
    const keys = update.keys.filter((k) => k.field === field);
    if (keys.length) await query(PEOPLE_WRITES[field], [keys.map((k) => k.kind), keys.map((k) => k.id), keys.map((k) => k.value), keys.map((k) => k.ts)]);
  }
  const { memberships } = update;
  if (memberships.length) {
    await query(PEOPLE_WRITES.company, [memberships.map((m) => m.kind), memberships.map((m) => m.id), memberships.map((m) => m.companyId), memberships.map((m) => m.ts)]);
  }
}

function writeTx(query: Query, hasher: IdHasher): WriteTx {
  return {
    addCounts: addCounts(query),
    registerVisitors: async (entries) => {
      if (!entries.length) return { numbers: new Map(), added: 0 };
      const pairs = entries.flatMap(([id, named]) => named.map((e) => [id, e] as const));
      const { rows } = await query('SELECT anonymous_id, visitor, added FROM register_visitors($1::text[], $2::bigint[], $3::text[], $4::bigint[])',
        [pairs.map(([id]) => id), pairs.map(([, e]) => e.receivedAt), pairs.map(([, e]) => e.messageId), pairs.map(([, e]) => e.originalTimestamp)]);
      return { numbers: new Map(rows.map((row) => [row.anonymous_id as string, row.visitor as number])), added: rows.filter((row) => row.added).length };
    },
    insertEvents: async (events, visitors) => {
      const numbers = events.map((e) => (e.userId === null && e.anonymousId !== null ? visitors.get(e.anonymousId) ?? null : null));
      return insertedKeys((await query(`${INSERT_EVENTS} RETURNING message_id, original_ts`, [...eventColumns(events), numbers])).rows);
    },
    registerIds: async (table: IdTable, entries) => {
      const column = table === 'users' ? 'user_id' : 'company_id';
      if (!entries.length) return [];
      const result = await query(`INSERT INTO ${table} (${column}, first_seen) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING RETURNING ${column} AS id`,
        [entries.map(([id]) => id), entries.map(([, at]) => at)]);
      return result.rows.map((row) => row.id as string);
    },
    insertLinks: async (links) => {
      const result = await query('SELECT insert_links($1::text[], $2::text[], $3::bigint[], $4::text[]) AS made',
        [links.map((l) => l.anonymousId), links.map((l) => l.userId), links.map((l) => l.at), links.map((l) => l.messageId)]);
      const made = new Set(result.rows[0].made as string[]);
      return new Set(links.filter((l) => made.has(l.anonymousId)));
    },
    linkedUsers: async (anonymousIds) => {
      const { rows } = await query('SELECT anonymous_id, user_id FROM links WHERE anonymous_id = ANY ($1::text[])', [anonymousIds]);
      return new Map(rows.map((row) => [row.anonymous_id as string, row.user_id as string]));
    },
    recordConflict: async (c) => {
      await query(numberedParams(SQL.recordConflict), [c.anonymousId, c.userId, c.attemptedUserId, c.at, c.messageId, c.reason]);
    },
    upsertTraits: async (writes) => {
      if (!writes.length) return;
      await query(`INSERT INTO traits (subject_kind, subject_id, key, value, ts)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) ${UPSERT.traits}`,
      [writes.map((t) => t.kind), writes.map((t) => t.id), writes.map((t) => t.key), writes.map((t) => t.value), writes.map((t) => t.ts)]);
    },
    suppressedAmong: async (events) => {
      const result = await query('SELECT suppressed_events($1::text[], $2::text[], $3::text[], $4::int[]) AS positions', guardParams(hasher, events));
      return new Set(result.rows[0].positions as number[]);
    },
    recordFirstSteps: async (steps: readonly FirstStep[]) => {
      if (!steps.length) return;
      await query('SELECT record_first_steps($1::text[], $2::text[], $3::text[], $4::bigint[])',
        [steps.map((s) => s.step), steps.map((s) => s.userId), steps.map((s) => s.anonymousId), steps.map((s) => s.ts)]);
    },
    recordPeople: (update) => recordPeople(query, update),
    upsertMemberships: async (writes) => {
      if (!writes.length) return;
      await query(`INSERT INTO memberships (subject_kind, subject_id, company_id, ts)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ${UPSERT.memberships}`,
      [writes.map((m) => m.kind), writes.map((m) => m.id), writes.map((m) => m.companyId), writes.map((m) => m.ts)]);
    },
  };
}

function eraseTx(query: Query, hasher: IdHasher): EraseTx {
  return {
    run: async (sql, params) => (await query(numberedParams(sql), params)).rowCount ?? 0,
    all: async <T>(sql: string, params: readonly unknown[]) => (await query(numberedParams(sql), params)).rows as T[],
    lockIds: async (userIds, anonymousIds) => {
      await query('SELECT lock_ids($1::text[], $2::text[])', [userIds, anonymousIds]);
    },
    suppress: async (hashes, at) => {
      await query('INSERT INTO suppressions (id_hash, erased_at) SELECT unnest($1::text[]), $2 ON CONFLICT (id_hash) DO NOTHING', [hashes, at]);
    },
    addCounts: addCounts(query),
    hasher,
    dialect: 'postgres',
  };
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly reader: SqlReader;
  private readonly queue: WriteQueue<readonly StoredEvent[], IngestResult>;
  private readonly erasures = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool, private readonly reads: pg.Pool, private readonly quickReads: pg.Pool | undefined,
    private readonly hasher: IdHasher, url: string, readers: number, writers: number, limitMs: number, backlog?: BacklogLimit,
  ) {
    this.location = redact(url);
    const sqlCache = new Map<string, string>();
    const numbered = (sql: string) => {
      let text = sqlCache.get(sql);
      if (text === undefined) sqlCache.set(sql, (text = numberedParams(sql)));
      return text;
    };
    const readerOf = (on: pg.Pool): SqlReader => {
      const read = async (sql: string, params: readonly unknown[]) => {
        try {
          return (await on.query(numbered(sql), params as unknown[])).rows;
        } catch (error) {
          throw overLimit(error, limitMs) ?? error;
        }
      };
      return {
        all: async <T>(sql: string, params: readonly unknown[] = []) => (await read(sql, params)) as T[],
        get: async <T>(sql: string, params: readonly unknown[] = []) => (await read(sql, params))[0] as T | undefined,
      };
    };
    this.reader = { ...readerOf(reads), concurrency: readers, quick: quickReads && readerOf(quickReads) };
    this.queue = new WriteQueue((batches) => this.flush(batches), writers, 64, backlog, backlogSize);
  }

  /** Connects, creates or upgrades the schema, and returns the store. */
  static async open(url: string, options: StoreOptions = {}): Promise<PostgresStore> {
    const driver = pgDriver();
    const { readers, quick, writers } = splitPool(options.poolSize ?? 10);
    const limitMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    const config = { connectionString: url, types: typesOf(driver), options: `-c search_path=${PG_SCHEMA}` };
    const pool = new driver.Pool({ ...config, max: writers });
    // Queries have their own connections, so ingest never waits behind a slow one, and a time limit
    // that the server enforces (statement_timeout) and that waiting for a connection counts against.
    const readConfig = { ...config, statement_timeout: limitMs, connectionTimeoutMillis: limitMs };
    const reads = new driver.Pool({ ...readConfig, max: readers });
    const quickReads = quick ? new driver.Pool({ ...readConfig, max: quick }) : undefined;
    // An idle client that loses its server must not crash the process; the next query reconnects.
    // An idle connection that fails (a restart, a terminated backend) is replaced by the pool; said, not thrown.
    pool.on('error', (error) => options.warn?.('a PostgreSQL connection of the write pool failed; the pool opens another', error));
    reads.on('error', (error) => options.warn?.('a PostgreSQL connection of the read pool failed; the pool opens another', error));
    quickReads?.on('error', (error) => options.warn?.('the PostgreSQL connection for the stats failed; the pool opens another', error));
    let key: string;
    try {
      key = await PostgresStore.migrate(pool);
    } catch (error) {
      await Promise.all([pool.end(), reads.end(), quickReads?.end()]);
      throw error;
    }
    return new PostgresStore(pool, reads, quickReads, new IdHasher(key), url, readers, writers, limitMs, options.backlog);
  }

  /** Creates or upgrades the schema; returns the suppression key (made by the first instance to start). */
  private static async migrate(pool: pg.Pool): Promise<string> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
      await client.query(META_TABLE);
      const row = (await client.query(READ_VERSION)).rows[0] as { value: string } | undefined;
      const version = row ? Number(row.value) : 0;
      for (const statement of migrationsFrom(version, 'postgres')) await client.query(statement);
      if (version !== SCHEMA_VERSION) await client.query(numberedParams(WRITE_VERSION), [String(SCHEMA_VERSION)]);
      await client.query(numberedParams(ENSURE_KEY), [newSuppressionKey()]);
      const key = ((await client.query(READ_KEY)).rows[0] as { value: string }).value;
      await client.query('COMMIT');
      return key;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  private flush(batches: (readonly StoredEvent[])[]): Promise<IngestResult[]> {
    return this.withRetries(async (client) => {
      if (batches.every((batch) => batch.every(onlyRegistersIds))) {
        const events = batches.flat();
        const params = [...eventColumns(events), counterShard(), ...guardParams(this.hasher, events)];
        const { rows } = await client.query<RegisteringRow>(INSERT_REGISTERING, params);
        const refused = new Set(rows.flatMap((row) => row.refused ?? []));
        return countStored(batches, insertedKeys(rows), refused).results;
      }
      await client.query('BEGIN');
      const results = await applyBatches(writeTx((sql, params) => client.query(sql, params as unknown[]), this.hasher), batches);
      await client.query('COMMIT');
      return results;
    });
  }

  /** One erasure attempt per transaction (erase.ts), each retried whole when it loses a deadlock. */
  async erase(target: ErasureTarget): Promise<Erasure | null> {
    if (this.closed) throw new Error('idstitch collector: the store is closed');
    const erasure = eraseWithRetries(target, (relock) => this.withRetries(async (client): Promise<EraseOutcome> => {
      await client.query('BEGIN');
      const outcome = await eraseIn(eraseTx((sql, params) => client.query(sql, params as unknown[]), this.hasher), target, relock);
      await client.query('erased' in outcome ? 'COMMIT' : 'ROLLBACK');
      return outcome;
    }));
    this.erasures.add(erasure);
    try {
      return await erasure;
    } finally {
      this.erasures.delete(erasure);
    }
  }

  /** Runs `work` on a write connection; after an error rolls back, and retries when PostgreSQL says a retry may succeed. */
  private async withRetries<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        return await work(client);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => { broken = true; });
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      } finally {
        client.release(broken);
      }
    }
  }

  async ingest(events: readonly StoredEvent[]): Promise<IngestResult> {
    if (this.closed) throw new Error('idstitch collector: the store is closed');
    if (!events.length) return { stored: 0, duplicates: 0 };
    return this.queue.push(events);
  }

  backlog(): Backlog {
    return this.queue.backlog();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    await Promise.allSettled(this.erasures);
    await Promise.all([this.pool.end(), this.reads.end(), this.quickReads?.end()]);
  }
}
