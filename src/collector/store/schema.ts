/**
 * The tables, written once for both databases, and their versions.
 *
 * Events are never rewritten: attribution to users happens when reading
 * (see identity.ts), through `links`. Uniqueness does the race-safety on
 * PostgreSQL: `events_dedupe` dedupes, `links.anonymous_id` lets exactly
 * one link win, `conflicts (anonymous_id, attempted_user_id)` records each
 * refused re-link once.
 *
 * Dedupe is on the client's `timestamp` with the `messageId` (version 2). A
 * retry repeats both, so every duplicate is still caught, and a key that
 * grows with time lands new rows at the end of the index. A random
 * `messageId` alone put each row on a different index page, and writing those
 * pages was half the cost of ingest.
 */

import { EVENT_STEP_SQL, HAS_STEP_SQL, PRINCIPAL_SQL } from '../funnel.js';
import { peopleActivityMigration, peopleMigration } from './peopleSchema.js';
import { INSERT_LINKS } from './insertLinks.js';
import { FIRST_STEPS_BY_PRINCIPAL, firstStepsTables, firstStepsView, insertFirstSteps, registerKeys } from './firstSteps.js';
import { visitorsMigration } from './visitors.js';

export type Dialect = 'sqlite' | 'postgres';

/** The version this code writes; a newer database is refused. */
export const SCHEMA_VERSION = 11;

/** Statements that bring a database from version `index` to `index + 1`. */
const types = (d: Dialect) => ({
  int: d === 'sqlite' ? 'INTEGER' : 'BIGINT',
  serial: d === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
});

const eventsTable = (d: Dialect, name: string, messageIdConstraint: string) => {
  const { int, serial } = types(d);
  return `CREATE TABLE ${name} (
        seq ${serial},
        message_id TEXT NOT NULL${messageIdConstraint},
        type TEXT NOT NULL,
        event TEXT,
        anonymous_id TEXT,
        user_id TEXT,
        group_id TEXT,
        source TEXT NOT NULL,
        ts ${int} NOT NULL,
        original_ts ${int},
        received_at ${int} NOT NULL,
        body TEXT NOT NULL
      )`;
};

// Timelines: a user's own events, and the unattributed events of its anonymous ids (version 11 keys those by
// visitor number, visitors.ts).
const EVENT_INDEXES = [
  'CREATE INDEX events_user ON events (user_id, ts, seq) WHERE user_id IS NOT NULL',
  'CREATE INDEX events_anonymous ON events (anonymous_id, ts, seq) WHERE user_id IS NULL',
];

/**
 * Events over time (the dashboard's chart, timeseries.ts) read a range of
 * `ts` from this index alone, instead of scanning every event. `ts` mostly
 * grows with arrival, so new entries land at its end.
 */
const TIME_INDEX = 'CREATE INDEX events_time ON events (ts, source)';

/** The dedupe key; a message without a `timestamp` counts as time 0. */
const DEDUPE_INDEX = 'CREATE UNIQUE INDEX events_dedupe ON events ((coalesce(original_ts, 0)), message_id)';

/**
 * Totals kept by every ingest transaction, in the same transaction, so
 * `/v1/stats` reads a few rows instead of counting whole tables (at a million
 * events a count took 40 to 460 ms). The totals are the sums over the rows:
 * each PostgreSQL transaction adds to one of {@link COUNTER_SHARDS} rows,
 * chosen at random, so concurrent writers rarely wait on one row's lock.
 * Every linked anonymous id is a registered one (both are written by the
 * same transaction), so the visitors not identified are
 * `anonymous_ids - linked_anonymous_ids`.
 */
const COUNTERS_TABLE = (d: Dialect) => {
  const { int } = types(d);
  return `CREATE TABLE counters (
        shard INTEGER PRIMARY KEY,
        events ${int} NOT NULL,
        users ${int} NOT NULL,
        anonymous_ids ${int} NOT NULL,
        linked_anonymous_ids ${int} NOT NULL
      )`;
};
/** Rows the PostgreSQL store spreads its counter updates over; SQLite, with one writer, uses row 0. */
export const COUNTER_SHARDS = 16;

/** What one transaction adds to the counters. */
export interface CounterDelta {
  events: number;
  users: number;
  anonymousIds: number;
  linkedAnonymousIds: number;
}

/** Adds a {@link CounterDelta} to one shard (`?` placeholders: shard, then the four deltas). */
export const ADD_COUNTS = `INSERT INTO counters (shard, events, users, anonymous_ids, linked_anonymous_ids) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (shard) DO UPDATE SET events = counters.events + excluded.events, users = counters.users + excluded.users,
    anonymous_ids = counters.anonymous_ids + excluded.anonymous_ids,
    linked_anonymous_ids = counters.linked_anonymous_ids + excluded.linked_anonymous_ids`;

/** The totals, for `/v1/stats`. */
export const READ_COUNTS = `SELECT COALESCE(SUM(events), 0) AS events, COALESCE(SUM(users), 0) AS users,
  COALESCE(SUM(anonymous_ids), 0) AS anonymous_ids, COALESCE(SUM(linked_anonymous_ids), 0) AS linked_anonymous_ids FROM counters`;

/**
 * Version 5's table (version 8 keys it by integers, firstSteps.ts): the
 * first time each principal did each step, for the funnel (see
 * funnel.ts): keyed by step first, so a funnel reads one step's rows in
 * order and finds another step's row by its key. On SQLite the rows are the
 * key's own b-tree (WITHOUT ROWID): no second lookup for `ts`.
 */
const FIRST_STEPS_TABLE_V5 = (d: Dialect) => `CREATE TABLE first_steps (
        step TEXT NOT NULL,
        principal TEXT NOT NULL,
        ts ${types(d).int} NOT NULL,
        PRIMARY KEY (step, principal)
      )${d === 'sqlite' ? ' WITHOUT ROWID' : ''}`;

/**
 * PostgreSQL (version 5; version 8 replaces it with {@link RECORD_FIRST_STEPS}):
 * the first times of an ingest transaction's events, written
 * under a lock per anonymous id (transaction advisory locks, in one order).
 * The lock is what keeps the table exact with concurrent writers: a link
 * landing in one transaction merges the anonymous id's rows while another
 * writes new ones for it. Whichever takes the lock second sees the other's
 * commit: the link, or the rows to merge. A VOLATILE function reads with a
 * fresh snapshot per statement, so its insert sees what committed while it
 * waited for the lock, also when it runs inside a larger statement.
 */
const RECORD_FIRST_STEPS_V5 = `CREATE FUNCTION record_first_steps(steps text[], user_ids text[], anonymous_ids text[], times bigint[])
  RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
BEGIN
  PERFORM lock_keys(anonymous_ids);
  INSERT INTO first_steps (step, principal, ts)
    SELECT s.step, ${PRINCIPAL_SQL('s.user_id', 'l.user_id', 's.anonymous_id')}, min(s.ts)
    FROM unnest(steps, user_ids, anonymous_ids, times) AS s (step, user_id, anonymous_id, ts)
    LEFT JOIN links l ON s.user_id IS NULL AND l.anonymous_id = s.anonymous_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (step, principal) DO UPDATE SET ts = excluded.ts WHERE excluded.ts < first_steps.ts;
  RETURN 0;
END $fn$`;

/**
 * PostgreSQL: the advisory lock of each key (an id), held until the
 * transaction ends, all in one order (hash order) so two writers never wait
 * on each other. Advisory locks fill PostgreSQL's shared lock table (64 per
 * connection by default), so a transaction with more than
 * {@link MAX_ID_LOCKS} keys (a large import, a coalesced flush of many
 * visitors) takes one exclusive lock instead, and every other transaction
 * holds that lock shared beside its own keys: the large one runs alone,
 * the others in parallel.
 */
export const MAX_ID_LOCKS = 256;
/** Outside the range of `hashtext`, so no id's key is the same lock. */
const ALL_IDS_LOCK = 0x1d571c4_00000;
// PERFORM runs its query to the end (a SQL function would stop at its first row, one lock).
const LOCK_KEYS = `CREATE FUNCTION lock_keys(keys text[]) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  hashes integer[] := ARRAY(SELECT DISTINCT hashtext(k) FROM unnest(keys) AS k WHERE k IS NOT NULL ORDER BY 1);
BEGIN
  IF cardinality(hashes) > ${MAX_ID_LOCKS} THEN
    PERFORM pg_advisory_xact_lock(${ALL_IDS_LOCK});
  ELSIF cardinality(hashes) > 0 THEN
    PERFORM pg_advisory_xact_lock_shared(${ALL_IDS_LOCK});
    PERFORM pg_advisory_xact_lock(h) FROM unnest(hashes) AS h;
  END IF;
END $fn$`;

/**
 * PostgreSQL: the locks of an ingest or erasure transaction, all at once, in
 * one order (hash order): each user id's (keyed `u:<id>`) and each anonymous
 * id's (keyed by the id itself, as `record_first_steps` takes them, so
 * `record_first_steps` later asks only for locks its transaction holds).
 */
const LOCK_IDS = `CREATE FUNCTION lock_ids(user_ids text[], anonymous_ids text[]) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM lock_keys(ARRAY(SELECT 'u:' || id FROM unnest(user_ids) AS id WHERE id IS NOT NULL) || anonymous_ids);
END $fn$`;

/**
 * PostgreSQL: an ingest transaction's guard against erasure (suppression.ts).
 * It takes the locks of every id its events name ({@link LOCK_IDS}), then
 * returns the positions of the events with a suppressed id hash (`hashes[i]`
 * belongs to the event at `positions[i]`). An erasure takes the same locks,
 * so it either committed before, and its suppression is read here (a
 * VOLATILE function's statement sees what committed while it waited, also
 * inside a larger statement), or it waits for this transaction's commit and
 * then erases what it stored.
 */
const SUPPRESSED_EVENTS = `CREATE FUNCTION suppressed_events(user_ids text[], anonymous_ids text[], hashes text[], positions integer[])
  RETURNS integer[] LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
BEGIN
  PERFORM lock_ids(user_ids, anonymous_ids);
  RETURN ARRAY(SELECT DISTINCT c.p FROM unnest(hashes, positions) AS c (h, p) JOIN suppressions s ON s.id_hash = c.h ORDER BY 1);
END $fn$`;

/**
 * PostgreSQL, version 8: {@link RECORD_FIRST_STEPS_V5} on the integer keys.
 * The candidates are attributed once (under the same locks), their keys
 * registered where new, then written. A key registered by a concurrent
 * transaction makes this one's insert wait for its commit and skip it; the
 * next statement, with a fresh snapshot, sees it.
 */
const RECORD_FIRST_STEPS = `CREATE OR REPLACE FUNCTION record_first_steps(steps text[], user_ids text[], anonymous_ids text[], times bigint[])
  RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
DECLARE
  step_keys text[];
  principal_keys text[];
  first_times bigint[];
BEGIN
  PERFORM lock_keys(anonymous_ids);
  SELECT array_agg(c.step), array_agg(c.principal), array_agg(c.ts) INTO step_keys, principal_keys, first_times
    FROM (SELECT s.step, ${PRINCIPAL_SQL('s.user_id', 'l.user_id', 's.anonymous_id')} AS principal, s.ts
          FROM unnest(steps, user_ids, anonymous_ids, times) AS s (step, user_id, anonymous_id, ts)
          LEFT JOIN links l ON s.user_id IS NULL AND l.anonymous_id = s.anonymous_id) c;
  ${registerKeys('step_ids', 'SELECT unnest(step_keys) AS k')};
  ${registerKeys('principal_ids', 'SELECT unnest(principal_keys) AS k')};
  ${insertFirstSteps('postgres', 'SELECT * FROM unnest(step_keys, principal_keys, first_times) AS u (step, principal, ts)')};
  RETURN 0;
END $fn$`;

/**
 * PostgreSQL, version 8: a new link's merge (funnel.ts), keys as in
 * first_steps: the anonymous id's first times join the user's (the
 * earlier of each wins), then its rows and its id row go. The user's id row
 * is made if new (a concurrent insert of it is waited for, as in
 * {@link RECORD_FIRST_STEPS}).
 */
const MERGE_FIRST_STEPS = `CREATE FUNCTION merge_first_steps(anonymous_key text, user_key text)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
DECLARE
  anonymous_principal bigint := (SELECT id FROM principal_ids WHERE key = anonymous_key);
  user_principal bigint;
BEGIN
  IF anonymous_principal IS NULL THEN RETURN; END IF;
  INSERT INTO principal_ids (key) SELECT user_key WHERE NOT EXISTS (SELECT 1 FROM principal_ids WHERE key = user_key) ON CONFLICT (key) DO NOTHING;
  user_principal := (SELECT id FROM principal_ids WHERE key = user_key);
  INSERT INTO first_steps (step, principal, ts) SELECT step, user_principal, ts FROM first_steps WHERE principal = anonymous_principal ORDER BY step
    ON CONFLICT (step, principal) DO UPDATE SET ts = excluded.ts WHERE excluded.ts < first_steps.ts;
  DELETE FROM first_steps WHERE principal = anonymous_principal;
  DELETE FROM principal_ids WHERE id = anonymous_principal;
END $fn$`;

const MIGRATIONS: ReadonlyArray<(d: Dialect) => string[]> = [
  (d) => {
    const { int, serial } = types(d);
    return [
      eventsTable(d, 'events', ' UNIQUE'),
      ...EVENT_INDEXES,
      `CREATE TABLE anonymous_ids (anonymous_id TEXT PRIMARY KEY, first_seen ${int} NOT NULL)`,
      `CREATE TABLE users (user_id TEXT PRIMARY KEY, first_seen ${int} NOT NULL)`,
      `CREATE TABLE companies (company_id TEXT PRIMARY KEY, first_seen ${int} NOT NULL)`,
      `CREATE TABLE links (
        anonymous_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        linked_at ${int} NOT NULL,
        message_id TEXT NOT NULL
      )`,
      'CREATE INDEX links_user ON links (user_id, linked_at)',
      `CREATE TABLE conflicts (
        seq ${serial},
        anonymous_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        attempted_user_id TEXT NOT NULL,
        at ${int} NOT NULL,
        message_id TEXT NOT NULL,
        UNIQUE (anonymous_id, attempted_user_id)
      )`,
      `CREATE TABLE traits (
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        ts ${int} NOT NULL,
        PRIMARY KEY (subject_kind, subject_id, key)
      )`,
      `CREATE TABLE memberships (
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        company_id TEXT NOT NULL,
        ts ${int} NOT NULL,
        PRIMARY KEY (subject_kind, subject_id)
      )`,
      'CREATE INDEX memberships_company ON memberships (company_id)',
    ];
  },
  // Version 2: dedupe on (timestamp, messageId), see the top of this file.
  // SQLite cannot drop a column's UNIQUE, so the table is rebuilt. Stop every
  // collector before upgrading: an older one's inserts name the old key and fail.
  // On PostgreSQL, building the index holds writes for as long as it takes.
  (d) => d === 'sqlite'
    ? [
      eventsTable(d, 'events_v2', ''),
      'INSERT INTO events_v2 SELECT * FROM events',
      'DROP TABLE events',
      'ALTER TABLE events_v2 RENAME TO events',
      ...EVENT_INDEXES,
      DEDUPE_INDEX,
    ]
    : ['ALTER TABLE events DROP CONSTRAINT IF EXISTS events_message_id_key', DEDUPE_INDEX],
  // Version 3: the time index. Building it on a large database holds the start for as long as it takes.
  () => [TIME_INDEX],
  // Version 4: the counters /v1/stats reads (see COUNTERS), started from one count of what is stored.
  (d) => [
    COUNTERS_TABLE(d),
    `INSERT INTO counters (shard, events, users, anonymous_ids, linked_anonymous_ids)
     SELECT 0, (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM anonymous_ids),
            (SELECT COUNT(*) FROM links l WHERE EXISTS (SELECT 1 FROM anonymous_ids a WHERE a.anonymous_id = l.anonymous_id))`,
  ],
  // Version 5: the funnel's first times (see funnel.ts), derived once from what is stored.
  (d) => [
    FIRST_STEPS_TABLE_V5(d),
    'CREATE INDEX first_steps_principal ON first_steps (principal)',
    `INSERT INTO first_steps (step, principal, ts)
     SELECT ${EVENT_STEP_SQL()}, ${PRINCIPAL_SQL('e.user_id', 'l.user_id', 'e.anonymous_id')}, MIN(e.ts)
     FROM events e LEFT JOIN links l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id
     WHERE ${HAS_STEP_SQL()} AND (e.user_id IS NOT NULL OR e.anonymous_id IS NOT NULL)
     GROUP BY 1, 2`,
    ...(d === 'postgres' ? [LOCK_KEYS, RECORD_FIRST_STEPS_V5] : []),
  ],
  // Version 6: why a link was refused (apply.ts ConflictReason); every earlier one was a re-link.
  () => ["ALTER TABLE conflicts ADD COLUMN reason TEXT NOT NULL DEFAULT 'relinked'"],
  // Version 7: the suppression list of erased ids (suppression.ts, erase.ts), and on PostgreSQL the locks
  // that ingest and erasure share. Stop older collectors first: they would store messages for erased ids.
  (d) => [
    `CREATE TABLE suppressions (id_hash TEXT PRIMARY KEY, erased_at ${types(d).int} NOT NULL)`,
    ...(d === 'postgres' ? [LOCK_IDS, SUPPRESSED_EVENTS] : []),
  ],
  // Version 8: the funnel's first times keyed by integers (firstSteps.ts), converted from version 5's text keys.
  (d) => [
    'ALTER TABLE first_steps RENAME TO first_steps_v5',
    // PostgreSQL names the key's index after the table; the new table's would clash with it.
    ...(d === 'postgres' ? ['ALTER INDEX first_steps_pkey RENAME TO first_steps_v5_pkey'] : []),
    ...firstStepsTables(d),
    registerKeys('step_ids', 'SELECT step AS k FROM first_steps_v5'),
    registerKeys('principal_ids', 'SELECT principal AS k FROM first_steps_v5'),
    insertFirstSteps(d, 'SELECT step, principal, ts FROM first_steps_v5'),
    'DROP TABLE first_steps_v5',
    FIRST_STEPS_BY_PRINCIPAL,
    firstStepsView(d),
    ...(d === 'postgres' ? [RECORD_FIRST_STEPS, MERGE_FIRST_STEPS] : []),
  ],
  // Version 9: the People directory's summary rows (people.ts), derived once from what is stored.
  (d) => peopleMigration(d),
  // Version 10: the People activity in a table of its own (peopleSchema.ts), and on PostgreSQL a transaction's
  // new links in one call (insertLinks.ts).
  // insert_links replaces merge_first_steps (IF EXISTS: a test rewinds to version 8 without it).
  (d) => [...peopleActivityMigration(d), ...(d === 'postgres' ? [INSERT_LINKS, 'DROP FUNCTION IF EXISTS merge_first_steps(text, text)'] : [])],
  // Version 11: visitor numbers (visitors.ts), given to the ids and events stored so far.
  (d) => visitorsMigration(d),
];

/** The statements to run on a database at `version` (0 = empty) to reach `target`. */
export function migrationsFrom(version: number, dialect: Dialect, target = SCHEMA_VERSION): string[] {
  if (version > SCHEMA_VERSION) {
    throw new Error(`idstitch collector: the database has schema version ${version}, newer than this collector's ${SCHEMA_VERSION}; upgrade idstitch`);
  }
  return MIGRATIONS.slice(version, target).flatMap((migration) => migration(dialect));
}

/** The table that holds the schema version. */
export const META_TABLE = 'CREATE TABLE IF NOT EXISTS idstitch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)';
export const READ_VERSION = "SELECT value FROM idstitch_meta WHERE key = 'schema_version'";
export const WRITE_VERSION = "INSERT INTO idstitch_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
