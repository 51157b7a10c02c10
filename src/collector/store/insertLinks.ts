/**
 * PostgreSQL, schema version 10: a transaction's new links in one call
 * (`insert_links`), where each link took five round trips (insert, clear
 * the claim it confirms, merge the first times, merge the `people` row and
 * drop it). The same writes as one link after another: the links are
 * inserted first, then every merge in the order they landed, since a merge
 * touches neither `links` nor `conflicts`. The ingest transaction holds each
 * id's lock already (`suppressed_events`, schema.ts); a VOLATILE function
 * reads with a fresh snapshot per statement, so it sees what committed while
 * the transaction waited for them. The first times and the `people` and
 * `people_activity` rows are written in key order (the rest follows the
 * locks `suppressed_events` took first), so concurrent writers lock them in one order.
 */
import { MERGE_LINKED_PEOPLE } from '../people.js';
import { registerKeys } from './firstSteps.js';

/**
 * The anonymous ids' first times join their users' (the earlier of each
 * wins), then their rows and id rows go; a user's id row is made where one
 * of its ids has first times (as the version 8 function `merge_first_steps` did for one link).
 */
const mergeLinkedFirstSteps = (anonymousIds: string, userIds: string) => {
  const pairs = `unnest(${anonymousIds}, ${userIds}) AS m (anonymous_id, user_id)`;
  const withFirstTimes = `SELECT 'u:' || m.user_id AS k FROM ${pairs} WHERE EXISTS (SELECT 1 FROM principal_ids p WHERE p.key = 'a:' || m.anonymous_id)`;
  return [
    registerKeys('principal_ids', withFirstTimes),
    `INSERT INTO first_steps (step, principal, ts)
      SELECT f.step, up.id, min(f.ts) FROM ${pairs}
      JOIN principal_ids ap ON ap.key = 'a:' || m.anonymous_id JOIN principal_ids up ON up.key = 'u:' || m.user_id
      JOIN first_steps f ON f.principal = ap.id
      GROUP BY f.step, up.id ORDER BY f.step, up.id
      ON CONFLICT (step, principal) DO UPDATE SET ts = excluded.ts WHERE excluded.ts < first_steps.ts`,
    `DELETE FROM first_steps f USING unnest(${anonymousIds}) AS m (anonymous_id) JOIN principal_ids ap ON ap.key = 'a:' || m.anonymous_id
      WHERE f.principal = ap.id`,
    `DELETE FROM principal_ids p USING unnest(${anonymousIds}) AS m (anonymous_id) WHERE p.key = 'a:' || m.anonymous_id`,
  ];
};

/**
 * `insert_links(anonymous ids, user ids, times, message ids)`, each
 * anonymous id at most once: inserts those not linked yet and applies what
 * a new link changes; returns the anonymous ids linked now.
 */
export const INSERT_LINKS = `CREATE FUNCTION insert_links(anonymous_ids text[], user_ids text[], ats bigint[], message_ids text[])
  RETURNS text[] LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $fn$
DECLARE
  made_anonymous text[];
  made_users text[];
BEGIN
  WITH inserted AS (
    INSERT INTO links (anonymous_id, user_id, linked_at, message_id)
    SELECT * FROM unnest(anonymous_ids, user_ids, ats, message_ids) ON CONFLICT (anonymous_id) DO NOTHING RETURNING anonymous_id)
  SELECT array_agg(l.anonymous_id ORDER BY l.n), array_agg(l.user_id ORDER BY l.n) INTO made_anonymous, made_users
    FROM unnest(anonymous_ids, user_ids) WITH ORDINALITY AS l (anonymous_id, user_id, n) JOIN inserted i ON i.anonymous_id = l.anonymous_id;
  IF made_anonymous IS NULL THEN RETURN '{}'; END IF;
  -- A sibling subdomain's claim of the same pair, before the verified login landed: it came true.
  DELETE FROM conflicts c USING unnest(made_anonymous, made_users) AS m (anonymous_id, user_id)
    WHERE c.anonymous_id = m.anonymous_id AND c.attempted_user_id = m.user_id AND c.reason = 'unverified';
  ${mergeLinkedFirstSteps('made_anonymous', 'made_users').join(';\n  ')};
  ${MERGE_LINKED_PEOPLE('made_anonymous', 'made_users').join(';\n  ')};
  RETURN made_anonymous;
END $fn$`;
