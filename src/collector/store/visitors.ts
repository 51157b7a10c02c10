/**
 * Visitor numbers (schema version 11): each anonymous id gets an integer
 * when it is registered, in arrival order, and an event without a user id
 * carries its anonymous id's number (`events.visitor`). Timelines find a
 * visitor's events through the index `events_visitor (visitor, ts, seq)`.
 *
 * Before, that index was keyed by the anonymous id itself. Anonymous ids are
 * random UUIDs (the SDKs make them so), so every new visitor's events landed
 * on a page of their own somewhere in the index, and writing those pages was
 * the largest part of an ingest transaction: 63 of its 205 WAL pages for 300
 * events of 15 new visitors. A new visitor's number is the highest yet, so
 * its entries land at the index's end, beside the other newcomers'.
 *
 * The number is registered before the events are inserted (apply.ts), so an
 * insert knows it, and only for an id one of whose events is not stored
 * already, as before (a duplicate, a retry, names ids registered with it;
 * one whose ids changed registers none, also beside its first copy in one
 * batch). A visitor's number never changes
 * while it is stored; an erasure deletes its events with its id row, and
 * SQLite may give an erased newest visitor's number again. PostgreSQL's
 * numbers come from a sequence: they grow, with gaps (an insert that meets
 * a conflict has drawn one).
 *
 * Every collector writing to a database must know the numbers: an older one
 * would store events without them, which timelines, exports and erasures
 * then miss, so the README says to stop older instances before the upgrade.
 * (A check constraint could refuse their inserts on PostgreSQL, but it runs
 * before `ON CONFLICT`: a duplicate whose ids changed, which gets no number,
 * would fail instead of being skipped.)
 */
import type { Dialect } from './schema.js';

/** Whether an event is stored (`?`: its `originalTimestamp` or 0, its `messageId`), by the dedupe key's index (schema.ts). */
export const IS_STORED = 'SELECT 1 FROM events WHERE coalesce(original_ts, 0) = ? AND message_id = ?';

/** The number of an anonymous id (`?`: the id), for `visitor = (...)`. */
export const VISITOR_OF = 'SELECT visitor FROM anonymous_ids WHERE anonymous_id = ?';

/** The numbers of the anonymous ids linked to a user (`?`: the user id), for `visitor IN (...)`. */
export const LINKED_VISITORS = 'SELECT a.visitor FROM links l JOIN anonymous_ids a ON a.anonymous_id = l.anonymous_id WHERE l.user_id = ?';

/** The events of the anonymous ids linked to a user that carry no user id themselves (`?`: the user id). */
export const LINKED_VISITOR_EVENTS = `user_id IS NULL AND visitor IN (${LINKED_VISITORS})`;

/** The events of one anonymous id that carry no user id (`?`: the anonymous id). */
export const VISITOR_EVENTS = `user_id IS NULL AND visitor = (${VISITOR_OF})`;

const EVENTS_VISITOR = 'CREATE INDEX events_visitor ON events (visitor, ts, seq) WHERE user_id IS NULL';

/** PostgreSQL: whether the event of row `r` (columns `o`, `m`: its `originalTimestamp`, `messageId`) is stored, its row locked (see below). */
const storedCopy = (r: string) => `EXISTS (SELECT 1 FROM events e WHERE coalesce(e.original_ts, 0) = coalesce(${r}.o, 0) AND e.message_id = ${r}.m FOR KEY SHARE)`;

/**
 * PostgreSQL: registers the anonymous ids of an ingest transaction's events
 * (per event that names one: the id, its arrival, its `messageId` and
 * `originalTimestamp`; nulls skipped) as the WriteTx's `registerVisitors`
 * says: an id not yet known, if one of its events is not stored, first seen
 * at its earliest arrival. Returns the number of every id known then,
 * `added` for those new now. The caller holds each id's lock
 * (`suppressed_events`), so no other transaction registers or erases one of
 * them meanwhile. A VOLATILE function reads with a fresh snapshot per
 * statement, so it sees the ids committed while the transaction waited for
 * those locks, also inside a larger statement. (Two transactions storing
 * one message under two new ids at once would each register theirs, as the
 * message is stored by neither yet; only a client that changes a retry's
 * ids could do it.)
 */
const REGISTER_VISITORS = `CREATE FUNCTION register_visitors(ids text[], times bigint[], message_ids text[], original_times bigint[])
  RETURNS TABLE (anonymous_id text, visitor bigint, added boolean) LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
DECLARE
  new_ids text[];
BEGIN
  -- Each id looked up once; of an unknown one, its first event checked, and its others only if that one is stored (rare).
  -- The probe locks the row it finds (KEY SHARE): a copy that a concurrent erasure is deleting is waited for, and then
  -- not found, so the id is registered for the event that its insert will store once the erasure commits.
  WITH named AS (
    SELECT u.id, u.t, u.m, u.o, u.p FROM unnest(ids, times, message_ids, original_times) WITH ORDINALITY AS u (id, t, m, o, p)
    WHERE u.id IS NOT NULL),
  unknown AS MATERIALIZED (
    SELECT f.* FROM (SELECT DISTINCT ON (n.id) n.id, n.t, n.m, n.o FROM named n ORDER BY n.id, n.t, n.p) f
    WHERE NOT EXISTS (SELECT 1 FROM anonymous_ids x WHERE x.anonymous_id = f.id)),
  inserted AS (
    INSERT INTO anonymous_ids AS a (anonymous_id, first_seen)
    SELECT k.id, k.t FROM unknown k
    WHERE NOT ${storedCopy('k')} OR EXISTS (SELECT 1 FROM named n WHERE n.id = k.id AND NOT ${storedCopy('n')})
    ORDER BY k.id
    ON CONFLICT DO NOTHING RETURNING a.anonymous_id)
  SELECT coalesce(array_agg(i.anonymous_id), '{}') INTO new_ids FROM inserted i;
  RETURN QUERY SELECT a.anonymous_id, a.visitor, a.anonymous_id = ANY (new_ids) FROM anonymous_ids a
    WHERE a.anonymous_id = ANY (ids);
END $fn$`;

/**
 * Version 11: the numbers given to the ids stored so far (on SQLite in
 * order of first sight, on PostgreSQL in the table's order), and to their
 * events; the index by anonymous id replaced. Setting the numbers rewrites
 * every event without a user id, once, at the first start of the new
 * version (on SQLite 1.7 s for a seeded million events, 840,000 of them
 * anonymous, and 24.6 s for ten million; in one transaction, so the WAL
 * grows to about the size of those events meanwhile).
 */
export function visitorsMigration(d: Dialect): string[] {
  if (d === 'sqlite') {
    return [
      // An INTEGER PRIMARY KEY is the rowid itself, which VACUUM keeps; a table's implicit rowid it may renumber.
      'CREATE TABLE anonymous_ids_v11 (visitor INTEGER PRIMARY KEY, anonymous_id TEXT NOT NULL UNIQUE, first_seen INTEGER NOT NULL)',
      'INSERT INTO anonymous_ids_v11 (anonymous_id, first_seen) SELECT anonymous_id, first_seen FROM anonymous_ids ORDER BY first_seen, anonymous_id',
      'DROP TABLE anonymous_ids',
      'ALTER TABLE anonymous_ids_v11 RENAME TO anonymous_ids',
      'ALTER TABLE events ADD COLUMN visitor INTEGER',
      'DROP INDEX events_anonymous',
      'UPDATE events SET visitor = (SELECT a.visitor FROM anonymous_ids a WHERE a.anonymous_id = events.anonymous_id) WHERE user_id IS NULL',
      EVENTS_VISITOR,
    ];
  }
  return [
    'ALTER TABLE anonymous_ids ADD COLUMN visitor BIGINT GENERATED ALWAYS AS IDENTITY',
    'ALTER TABLE events ADD COLUMN visitor BIGINT',
    'DROP INDEX events_anonymous',
    'UPDATE events e SET visitor = a.visitor FROM anonymous_ids a WHERE e.user_id IS NULL AND a.anonymous_id = e.anonymous_id',
    EVENTS_VISITOR,
    REGISTER_VISITORS,
  ];
}
