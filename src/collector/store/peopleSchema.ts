/**
 * The `people` table (schema version 9; people.ts says what its rows hold),
 * its indexes, and on PostgreSQL the function ingest adds activity with;
 * from version 10 the activity in a table of its own, `people_activity`.
 */
import { NAME_TRAIT, EMAIL_TRAIT, PEOPLE_UPSERT } from '../people.js';

/**
 * The rows each search index holds (partial indexes): most rows are
 * anonymous visitors, who have no name, email or company and are never
 * searched, and each index a row is in costs its every write (on
 * PostgreSQL a new `last_seen` writes an entry in each). A query that uses
 * one states its condition word for word, so both databases see that the
 * index covers it.
 */
export const INDEXED_ROWS = {
  id: "kind <> 'anon'",
  name: 'name IS NOT NULL',
  email: 'email IS NOT NULL',
  company_id: 'company_id IS NOT NULL',
} as const;

/**
 * The `people` table of schema version 9 and its indexes, and its rows
 * derived once from what is stored. `lower()` folds A-Z only on both
 * databases (SQLite's own, and PostgreSQL's under the C collation that the
 * columns are declared with), as foldCase (textPrefix.ts) does for a query: search
 * is case-insensitive for ASCII letters, and text compares byte by byte, so
 * a prefix is a range of the index.
 */
export function peopleMigration(d: 'sqlite' | 'postgres'): string[] {
  const text = d === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  const int = d === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const newest = (kinds: string, key: string) => `SELECT kind, id, value, ts FROM (
      SELECT CASE WHEN t.subject_kind = 'anon' AND l.user_id IS NULL THEN 'anon' WHEN t.subject_kind = 'company' THEN 'company' ELSE 'user' END AS kind,
        COALESCE(l.user_id, t.subject_id) AS id, t.value, t.ts,
        ROW_NUMBER() OVER (PARTITION BY CASE WHEN t.subject_kind = 'anon' AND l.user_id IS NULL THEN 'anon' WHEN t.subject_kind = 'company' THEN 'company' ELSE 'user' END,
          COALESCE(l.user_id, t.subject_id) ORDER BY t.ts DESC) AS n
      FROM traits t LEFT JOIN links l ON t.subject_kind = 'anon' AND l.anonymous_id = t.subject_id
      WHERE t.subject_kind IN (${kinds}) AND t.key = '${key}') k WHERE n = 1`;
  const backfillKey = (field: 'name' | 'email', kinds: string, key: string) =>
    `INSERT INTO people (kind, id, events, ${field}, ${field}_ts) SELECT kind, id, 0, value, ts FROM (${newest(kinds, key)}) s WHERE true
     ON CONFLICT (kind, id) DO UPDATE SET ${field} = excluded.${field}, ${field}_ts = excluded.${field}_ts`;
  return [
    `CREATE TABLE people (
        kind ${text} NOT NULL,
        id ${text} NOT NULL,
        first_seen ${int},
        last_seen ${int},
        events ${int} NOT NULL,
        name ${text},
        name_ts ${int},
        email ${text},
        email_ts ${int},
        company_id ${text},
        company_ts ${int},
        PRIMARY KEY (kind, id)
      )`,
    'CREATE INDEX people_recent ON people (kind, last_seen, id)',
    `CREATE INDEX people_id_search ON people (kind, lower(id), id) WHERE ${INDEXED_ROWS.id}`,
    `CREATE INDEX people_name_search ON people (kind, lower(name)) WHERE ${INDEXED_ROWS.name}`,
    `CREATE INDEX people_email_search ON people (kind, lower(email)) WHERE ${INDEXED_ROWS.email}`,
    `CREATE INDEX people_company ON people (kind, company_id) WHERE ${INDEXED_ROWS.company_id}`,
    `INSERT INTO people (kind, id, first_seen, last_seen, events)
     SELECT CASE WHEN e.user_id IS NULL AND l.user_id IS NULL THEN 'anon' ELSE 'user' END, COALESCE(e.user_id, l.user_id, e.anonymous_id), MIN(e.ts), MAX(e.ts), COUNT(*)
     FROM events e LEFT JOIN links l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id
     WHERE e.user_id IS NOT NULL OR e.anonymous_id IS NOT NULL GROUP BY 1, 2`,
    "INSERT INTO people (kind, id, events) SELECT 'company', company_id, 0 FROM companies WHERE true ON CONFLICT (kind, id) DO NOTHING",
    backfillKey('name', "'user', 'anon'", NAME_TRAIT.user),
    backfillKey('email', "'user', 'anon'", EMAIL_TRAIT),
    backfillKey('name', "'company'", NAME_TRAIT.company),
    `INSERT INTO people (kind, id, events, company_id, company_ts) SELECT kind, id, 0, company_id, ts FROM (
       SELECT CASE WHEN m.subject_kind = 'anon' AND l.user_id IS NULL THEN 'anon' ELSE 'user' END AS kind, COALESCE(l.user_id, m.subject_id) AS id, m.company_id, m.ts,
         ROW_NUMBER() OVER (PARTITION BY CASE WHEN m.subject_kind = 'anon' AND l.user_id IS NULL THEN 'anon' ELSE 'user' END, COALESCE(l.user_id, m.subject_id)
           ORDER BY m.ts DESC, m.company_id DESC) AS n
       FROM memberships m LEFT JOIN links l ON m.subject_kind = 'anon' AND l.anonymous_id = m.subject_id) s WHERE n = 1
     ON CONFLICT (kind, id) DO UPDATE SET company_id = excluded.company_id, company_ts = excluded.company_ts`,
    ...(d === 'postgres' ? [RECORD_ACTIVITY_V9] : []),
  ];
}

/**
 * Version 10: the activity (`first_seen`, `last_seen`, `events`) moves to
 * `people_activity`, a row per user and visitor with events, apart from the
 * search columns. A new `last_seen` is a new row version, which on
 * PostgreSQL writes an entry in every index of the table: two here, where a
 * user's `people` row has five. `people` keeps a row per user and company
 * (the id search reads them) and per visitor with a name, email or company.
 */
export function peopleActivityMigration(d: 'sqlite' | 'postgres'): string[] {
  const int = d === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const text = d === 'sqlite' ? 'TEXT' : 'TEXT COLLATE "C"';
  return [
    `CREATE TABLE people_activity (
        kind ${text} NOT NULL,
        id ${text} NOT NULL,
        first_seen ${int} NOT NULL,
        last_seen ${int} NOT NULL,
        events ${int} NOT NULL,
        PRIMARY KEY (kind, id)
      )${d === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
    'INSERT INTO people_activity (kind, id, first_seen, last_seen, events) SELECT kind, id, first_seen, last_seen, events FROM people WHERE events > 0',
    'DROP INDEX people_recent',
    ...['first_seen', 'last_seen', 'events'].map((column) => `ALTER TABLE people DROP COLUMN ${column}`),
    "DELETE FROM people WHERE kind = 'anon' AND name_ts IS NULL AND email_ts IS NULL AND company_ts IS NULL",
    PEOPLE_RECENT,
    ...(d === 'postgres' ? [RECORD_ACTIVITY] : []),
  ];
}

/** The lists in order of `last_seen` (directory.ts). */
const PEOPLE_RECENT = 'CREATE INDEX people_recent ON people_activity (kind, last_seen, id)';

/**
 * PostgreSQL: adds newly stored events' activity to their principals' rows
 * (per ids as {@link activityOf} gives them), each anonymous id resolved
 * under the links. The ingest transaction holds every id's lock already
 * (`suppressed_events`), so no link of these ids lands meanwhile; a VOLATILE
 * function reads with a fresh snapshot, so it sees the links committed while
 * the transaction waited for those locks, also inside a larger statement.
 * Rows are written in key order, so concurrent writers lock them in one order.
 */
const recordActivity = (version: 9 | 10) => `CREATE OR REPLACE FUNCTION record_activity(user_ids text[], anonymous_ids text[], firsts bigint[], lasts bigint[], counts bigint[])
  RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
BEGIN
  ${version === 10 ? "INSERT INTO people (kind, id) SELECT DISTINCT 'user', u FROM unnest(user_ids) AS u WHERE u IS NOT NULL ORDER BY 2 ON CONFLICT (kind, id) DO NOTHING;" : ''}
  INSERT INTO ${version === 10 ? 'people_activity' : 'people'} (kind, id, first_seen, last_seen, events)
    SELECT CASE WHEN s.user_id IS NULL AND l.user_id IS NULL THEN 'anon' ELSE 'user' END, COALESCE(s.user_id, l.user_id, s.anonymous_id),
      min(s.first), max(s.last), sum(s.n)
    FROM unnest(user_ids, anonymous_ids, firsts, lasts, counts) AS s (user_id, anonymous_id, first, last, n)
    LEFT JOIN links l ON s.user_id IS NULL AND l.anonymous_id = s.anonymous_id
    WHERE s.user_id IS NOT NULL OR s.anonymous_id IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1, 2
    ${version === 10 ? PEOPLE_UPSERT.activity : V9_ACTIVITY_UPSERT};
  RETURN 0;
END $fn$`;
/** Version 9's activity upsert, on the `people` row itself. */
const V9_ACTIVITY_UPSERT = `ON CONFLICT (kind, id) DO UPDATE SET events = people.events + excluded.events,
    first_seen = CASE WHEN people.first_seen IS NULL OR excluded.first_seen < people.first_seen THEN excluded.first_seen ELSE people.first_seen END,
    last_seen = CASE WHEN people.last_seen IS NULL OR excluded.last_seen > people.last_seen THEN excluded.last_seen ELSE people.last_seen END`;
const RECORD_ACTIVITY_V9 = recordActivity(9);
const RECORD_ACTIVITY = recordActivity(10);

