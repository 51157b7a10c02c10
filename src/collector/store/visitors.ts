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
 * insert knows it. A visitor's number never changes; an erasure deletes its
 * events with its id row.
 */
import type { Dialect } from './schema.js';

/** The number of an anonymous id (`?`: the id), for `visitor = (...)`. */
export const VISITOR_OF = 'SELECT visitor FROM anonymous_ids WHERE anonymous_id = ?';

/** The numbers of the anonymous ids linked to a user (`?`: the user id), for `visitor IN (...)`. */
export const LINKED_VISITORS = 'SELECT a.visitor FROM links l JOIN anonymous_ids a ON a.anonymous_id = l.anonymous_id WHERE l.user_id = ?';

/** The events of the anonymous ids linked to a user that carry no user id themselves (`?`: the user id). */
export const LINKED_VISITOR_EVENTS = `user_id IS NULL AND visitor IN (${LINKED_VISITORS})`;

/** The events of one anonymous id that carry no user id (`?`: the anonymous id). */
export const VISITOR_EVENTS = `user_id IS NULL AND visitor = (${VISITOR_OF})`;

const EVENTS_VISITOR = 'CREATE INDEX events_visitor ON events (visitor, ts, seq) WHERE user_id IS NULL';

/**
 * PostgreSQL: registers the anonymous ids of an ingest transaction's events
 * (`ids` and `times` per event, nulls skipped, each id first seen at its
 * earliest time) and returns every id's number, `added` for those new now.
 * The caller holds each id's lock (`suppressed_events`), so no other
 * transaction registers or erases one of them meanwhile. A VOLATILE
 * function reads with a fresh snapshot per statement, so it sees the ids
 * committed while the transaction waited for those locks, also inside a
 * larger statement.
 */
const REGISTER_VISITORS = `CREATE FUNCTION register_visitors(ids text[], times bigint[])
  RETURNS TABLE (anonymous_id text, visitor bigint, added boolean) LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
DECLARE
  new_ids text[];
BEGIN
  WITH inserted AS (
    INSERT INTO anonymous_ids AS a (anonymous_id, first_seen)
    SELECT u.id, min(u.t) FROM unnest(ids, times) AS u (id, t) WHERE u.id IS NOT NULL GROUP BY u.id ORDER BY u.id
    ON CONFLICT DO NOTHING RETURNING a.anonymous_id)
  SELECT coalesce(array_agg(i.anonymous_id), '{}') INTO new_ids FROM inserted i;
  RETURN QUERY SELECT a.anonymous_id, a.visitor, a.anonymous_id = ANY (new_ids) FROM anonymous_ids a
    WHERE a.anonymous_id = ANY (ids);
END $fn$`;

/**
 * Version 11: the numbers given to the ids stored so far, in order of first
 * sight, and to their events; the index by anonymous id replaced. Setting
 * the numbers rewrites every event without a user id, once, at the first
 * start of the new version (on SQLite 1.7 s for a seeded million events,
 * 840,000 of them anonymous).
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
