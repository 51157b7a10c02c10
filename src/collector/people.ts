/**
 * The People directory (README "People"): a summary row per user, per
 * anonymous visitor not yet identified, and per company, in `people`
 * (schema version 9), kept by the ingest transaction itself so a list page
 * or a search reads one index range instead of counting events. Since
 * version 10 the activity (`first_seen`, `last_seen`, `events`) of users
 * and visitors is in `people_activity`, and `people` keeps the search
 * columns, a row per user and company and per visitor that has one set.
 *
 * A row follows the identity rules of identity.ts as events and links land
 * (store/apply.ts): an event with a `userId` counts for that user; one
 * without counts for the user its anonymous id is linked to, or for the lone
 * anonymous id. When a link lands the anonymous id's row merges into the
 * user's and goes. `name` and `email` are the newest `displayName` and
 * `email` traits (the names Fullstory reserves) of the user or any of its
 * anonymous ids, kept as the trait's JSON text, and for a company its newest
 * `name` trait; `company_id` is the newest membership. An erasure removes
 * the rows of what it erases, and counts a user's row again when one of
 * their anonymous ids is erased (store/erase.ts). The tables and their
 * indexes are in store/peopleSchema.ts.
 */
import type { MembershipWrite, TraitWrite } from './identity.js';
import type { StoredEvent } from './store/types.js';
import { LINKED_VISITOR_EVENTS } from './store/visitors.js';

/** What a row summarises. */
export type PersonKind = 'user' | 'anon' | 'company';

/** The trait a row keeps in `name`, per kind; `email` is kept for users and anonymous visitors. */
export const NAME_TRAIT = { user: 'displayName', anon: 'displayName', company: 'name' } as const;
export const EMAIL_TRAIT = 'email';

/** One principal's share of newly stored events, by its ids as stored (an anonymous id is resolved under the links). */
export interface Activity {
  userId: string | null;
  /** Set only when `userId` is null. */
  anonymousId: string | null;
  events: number;
  first: number;
  last: number;
}

/** The activity of newly stored events, one entry per ids, in a stable order (row locks taken in one order). */
export function activityOf(events: readonly StoredEvent[]): Activity[] {
  const byIds = new Map<string, Activity>();
  for (const e of events) {
    if (e.userId === null && e.anonymousId === null) continue;
    const key = e.userId !== null ? `u\0${e.userId}` : `a\0${e.anonymousId!}`;
    const known = byIds.get(key);
    if (!known) byIds.set(key, { userId: e.userId, anonymousId: e.userId === null ? e.anonymousId : null, events: 1, first: e.timestamp, last: e.timestamp });
    else {
      known.events++;
      known.first = Math.min(known.first, e.timestamp);
      known.last = Math.max(known.last, e.timestamp);
    }
  }
  return [...byIds.keys()].sort().map((key) => byIds.get(key)!);
}

/** A new value for a row's `name` or `email`: the trait's JSON text, at its event time. */
export interface KeyWrite {
  kind: PersonKind;
  id: string;
  field: 'name' | 'email';
  value: string;
  ts: number;
}

/** The trait writes the rows keep (display names, emails, company names). */
export function keyWritesOf(traits: readonly TraitWrite[]): KeyWrite[] {
  const writes: KeyWrite[] = [];
  for (const t of traits) {
    const field = t.key === NAME_TRAIT[t.kind] ? 'name' : t.key === EMAIL_TRAIT && t.kind !== 'company' ? 'email' : null;
    if (field) writes.push({ kind: t.kind, id: t.id, field, value: t.value, ts: t.ts });
  }
  return writes;
}

/** What an ingest transaction changes in `people`, after its links are stored. */
export interface PeopleUpdate {
  activity: Activity[];
  keys: KeyWrite[];
  memberships: readonly MembershipWrite[];
  /** Companies registered now. */
  companies: readonly string[];
}

const later = (table: string, column: string) =>
  `CASE WHEN ${table}.${column} IS NULL OR excluded.${column} > ${table}.${column} THEN excluded.${column} ELSE ${table}.${column} END`;
const earlier = (table: string, column: string) =>
  `CASE WHEN ${table}.${column} IS NULL OR excluded.${column} < ${table}.${column} THEN excluded.${column} ELSE ${table}.${column} END`;
/** The newer of the stored and the incoming value of a field kept with its time; the incoming one wins a tie (a later write). */
const newerOf = (column: string, tsColumn: string) =>
  `CASE WHEN excluded.${tsColumn} IS NOT NULL AND (people.${tsColumn} IS NULL OR people.${tsColumn} <= excluded.${tsColumn}) THEN excluded.${column} ELSE people.${column} END`;
/** The newest membership wins; at the same time the greater company id (as the profile reads it, query.ts). */
const companyIsNewer = `excluded.company_ts IS NOT NULL AND (people.company_ts IS NULL OR excluded.company_ts > people.company_ts
    OR (excluded.company_ts = people.company_ts AND excluded.company_id > people.company_id))`;

const FIELD_COLUMNS = 'name, name_ts, email, email_ts, company_id, company_ts';

/** A row merged into a user's: activity adds up; each field keeps the newer, the incoming one at the same time. */
const MERGE_UPSERT = {
  activity: `ON CONFLICT (kind, id) DO UPDATE SET events = people_activity.events + excluded.events,
       first_seen = ${earlier('people_activity', 'first_seen')}, last_seen = ${later('people_activity', 'last_seen')}`,
  fields: `ON CONFLICT (kind, id) DO UPDATE SET
       name = ${newerOf('name', 'name_ts')}, name_ts = ${newerOf('name_ts', 'name_ts')},
       email = ${newerOf('email', 'email_ts')}, email_ts = ${newerOf('email_ts', 'email_ts')},
       company_id = CASE WHEN ${companyIsNewer} THEN excluded.company_id ELSE people.company_id END,
       company_ts = CASE WHEN ${companyIsNewer} THEN excluded.company_ts ELSE people.company_ts END`,
} as const;

/** The `ON CONFLICT` clauses that merge a write into a row: activity adds up, a field keeps its newest value. */
export const PEOPLE_UPSERT = {
  activity: MERGE_UPSERT.activity,
  key: (field: 'name' | 'email') => `ON CONFLICT (kind, id) DO UPDATE SET ${field} = excluded.${field}, ${field}_ts = excluded.${field}_ts
    WHERE people.${field}_ts IS NULL OR people.${field}_ts <= excluded.${field}_ts`,
  company: `ON CONFLICT (kind, id) DO UPDATE SET company_id = excluded.company_id, company_ts = excluded.company_ts WHERE ${companyIsNewer}`,
} as const;

/** Per-row SQL (`?` placeholders) of SQLite's ingest and of the recount; PostgreSQL's ingest uses its functions instead (insertLinks.ts, peopleSchema.ts). */
export const PEOPLE_SQL = {
  /** `?`: kind, id, first, last, events. */
  addActivity: `INSERT INTO people_activity (kind, id, first_seen, last_seen, events) VALUES (?, ?, ?, ?, ?) ${PEOPLE_UPSERT.activity}`,
  /** A user's row, for the id search, made with its first activity (`?`: user id). */
  addUser: "INSERT INTO people (kind, id) VALUES ('user', ?) ON CONFLICT (kind, id) DO NOTHING",
  /** `?`: kind, id, value, ts. */
  setKey: (field: 'name' | 'email') => `INSERT INTO people (kind, id, ${field}, ${field}_ts) VALUES (?, ?, ?, ?) ${PEOPLE_UPSERT.key(field)}`,
  /** `?`: kind, id, company id, ts. */
  setCompany: `INSERT INTO people (kind, id, company_id, company_ts) VALUES (?, ?, ?, ?) ${PEOPLE_UPSERT.company}`,
  /** `?`: company id. */
  addCompany: "INSERT INTO people (kind, id) VALUES ('company', ?) ON CONFLICT (kind, id) DO NOTHING",
  /** When an anonymous id is linked, per table: its row joins its user's (`?`: user id, anonymous id), then goes (`?`: anonymous id). */
  merge: [
    [`INSERT INTO people_activity (kind, id, first_seen, last_seen, events)
      SELECT 'user', ?, first_seen, last_seen, events FROM people_activity WHERE kind = 'anon' AND id = ? ${MERGE_UPSERT.activity}`,
    "DELETE FROM people_activity WHERE kind = 'anon' AND id = ?"],
    [`INSERT INTO people (kind, id, ${FIELD_COLUMNS})
      SELECT 'user', ?, ${FIELD_COLUMNS} FROM people WHERE kind = 'anon' AND id = ? ${MERGE_UPSERT.fields}`,
    "DELETE FROM people WHERE kind = 'anon' AND id = ?"],
  ],
  /** `?`: kind, id; each statement. */
  remove: ['DELETE FROM people_activity WHERE kind = ? AND id = ?', 'DELETE FROM people WHERE kind = ? AND id = ?'],
} as const;

/**
 * PostgreSQL: the rows of anonymous ids just linked join their users' rows,
 * then go, a statement per table; `anonymousIds` and `userIds` are SQL
 * arrays of the new links in the order they landed. As {@link PEOPLE_SQL}'s
 * merge one link after another would: the rows of one user's ids add up and
 * a field keeps its newest value, of the later link at the same time (one
 * statement may not update a row twice, so they are joined first).
 */
export const MERGE_LINKED_PEOPLE = (anonymousIds: string, userIds: string) => {
  const moved = (table: string, columns: string) => `WITH moved AS (
    DELETE FROM ${table} p USING unnest(${anonymousIds}, ${userIds}) WITH ORDINALITY AS m (anonymous_id, user_id, n)
    WHERE p.kind = 'anon' AND p.id = m.anonymous_id
    RETURNING m.user_id, m.n, ${columns.split(', ').map((c) => `p.${c}`).join(', ')})`;
  return [
    `${moved('people_activity', 'first_seen, last_seen, events')}
    INSERT INTO people_activity (kind, id, first_seen, last_seen, events)
    SELECT 'user', user_id, min(first_seen), max(last_seen), sum(events) FROM moved GROUP BY user_id ORDER BY user_id
    ${MERGE_UPSERT.activity}`,
    `${moved('people', FIELD_COLUMNS)}
    INSERT INTO people (kind, id, ${FIELD_COLUMNS})
    SELECT 'user', user_id,
      (array_agg(name ORDER BY name_ts DESC, n DESC) FILTER (WHERE name_ts IS NOT NULL))[1], max(name_ts),
      (array_agg(email ORDER BY email_ts DESC, n DESC) FILTER (WHERE email_ts IS NOT NULL))[1], max(email_ts),
      (array_agg(company_id ORDER BY company_ts DESC, company_id DESC) FILTER (WHERE company_ts IS NOT NULL))[1], max(company_ts)
    FROM moved GROUP BY user_id ORDER BY user_id
    ${MERGE_UPSERT.fields}`,
  ];
};

const LINKED = 'SELECT anonymous_id FROM links WHERE user_id = ?';

/** A user's row counted again from what is stored (after one of their anonymous ids was erased); `?` placeholders. */
export const RECOUNT_SQL = {
  /** `?`: user id, user id. */
  activity: `SELECT COUNT(*) AS events, MIN(ts) AS first, MAX(ts) AS last FROM (
      SELECT ts FROM events WHERE user_id = ?
      UNION ALL SELECT ts FROM events WHERE ${LINKED_VISITOR_EVENTS}) e`,
  /** `?`: user id, user id. */
  keys: `SELECT key, value, ts FROM traits WHERE subject_kind = 'user' AND subject_id = ? AND key IN ('${NAME_TRAIT.user}', '${EMAIL_TRAIT}')
    UNION ALL SELECT key, value, ts FROM traits WHERE subject_kind = 'anon' AND subject_id IN (${LINKED}) AND key IN ('${NAME_TRAIT.anon}', '${EMAIL_TRAIT}')`,
  /** `?`: user id, user id. */
  memberships: `SELECT company_id, ts FROM memberships WHERE subject_kind = 'user' AND subject_id = ?
    UNION ALL SELECT company_id, ts FROM memberships WHERE subject_kind = 'anon' AND subject_id IN (${LINKED})`,
} as const;
/** A kept trait value (JSON text) as the list shows it: a string as it is, null as null, anything else as its JSON. */
export function shownValue(json: string | null): string | null {
  if (json === null) return null;
  const value: unknown = JSON.parse(json);
  return typeof value === 'string' ? value : value === null ? null : json;
}

/** Runs one statement (`?` placeholders) in the open transaction. */
export type RunSql = (sql: string, params: readonly unknown[]) => unknown;

/**
 * Applies an update row by row through {@link PEOPLE_SQL} (SQLite's writer,
 * and an erasure's recount on both stores); `linkedUser` resolves an
 * anonymous id under the links stored so far.
 */
export async function applyPeopleUpdate(run: RunSql, linkedUser: (anonymousId: string) => Promise<string | undefined>, update: PeopleUpdate): Promise<void> {
  const principal = async (kind: PersonKind, id: string): Promise<[PersonKind, string]> => {
    if (kind !== 'anon') return [kind, id];
    const user = await linkedUser(id);
    return user === undefined ? ['anon', id] : ['user', user];
  };
  for (const id of update.companies) await run(PEOPLE_SQL.addCompany, [id]);
  for (const a of update.activity) {
    if (a.userId !== null) await run(PEOPLE_SQL.addUser, [a.userId]);
    const [kind, id] = a.userId !== null ? ['user', a.userId] : await principal('anon', a.anonymousId!);
    await run(PEOPLE_SQL.addActivity, [kind, id, a.first, a.last, a.events]);
  }
  for (const k of update.keys) await run(PEOPLE_SQL.setKey(k.field), [...(await principal(k.kind, k.id)), k.value, k.ts]);
  for (const m of update.memberships) await run(PEOPLE_SQL.setCompany, [...(await principal(m.kind, m.id)), m.companyId, m.ts]);
}

/**
 * A user's row counted again from their events, traits and memberships
 * under the links stored now: after one of their anonymous ids was erased,
 * whose events may have held the user's last time or newest name.
 */
export async function recountUser(run: RunSql, all: <T>(sql: string, params: readonly unknown[]) => Promise<T[]>, userId: string): Promise<void> {
  for (const statement of PEOPLE_SQL.remove) await run(statement, ['user', userId]);
  const [counts] = await all<{ events: number; first: number | null; last: number | null }>(RECOUNT_SQL.activity, [userId, userId]);
  const keys = await all<{ key: string; value: string; ts: number }>(RECOUNT_SQL.keys, [userId, userId]);
  const memberships = await all<{ company_id: string; ts: number }>(RECOUNT_SQL.memberships, [userId, userId]);
  await applyPeopleUpdate(run, async () => undefined, {
    companies: [],
    activity: counts && counts.events > 0 ? [{ userId, anonymousId: null, events: counts.events, first: counts.first!, last: counts.last! }] : [],
    keys: keys.map((k) => ({ kind: 'user', id: userId, field: k.key === EMAIL_TRAIT ? 'email' : 'name', value: k.value, ts: k.ts })),
    memberships: memberships.map((m) => ({ kind: 'user', id: userId, companyId: m.company_id, ts: m.ts })),
  });
}
