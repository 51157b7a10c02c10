/**
 * The erasure transaction, written once for both stores (README "Erasure"):
 * `DELETE /v1/users/:userId` and `DELETE /v1/anonymous/:anonymousId`.
 *
 * A user's erasure removes their own events, the events without a user id of
 * every anonymous id linked to them, the traits, memberships, links and
 * first times of the user and of those ids, the conflicts naming any of
 * them, and their registry rows; the stats counters drop by as much, in the
 * same transaction. The ids join the suppression list (suppression.ts), so
 * a late message cannot bring them back.
 *
 * Race-safety with ingest: on SQLite the erasure runs on the writer, between
 * two ingest transactions. On PostgreSQL it takes the same advisory locks as
 * an ingest transaction (the user's and each linked anonymous id's), so each
 * ingest transaction naming one of them either committed before (and its
 * rows are deleted here) or waits and then reads the suppression.
 */
import { anonymousPrincipal, EVENT_STEP_SQL, HAS_STEP_SQL, userPrincipal } from '../funnel.js';
import { FIRST_STEPS_SQL, insertFirstSteps, registerKeys } from './firstSteps.js';
import type { CounterDelta, Dialect } from './schema.js';
import { recountUser } from '../people.js';
import type { IdHasher } from './suppression.js';
import type { Store } from './types.js';
import { LINKED_VISITOR_EVENTS, VISITOR_EVENTS } from './visitors.js';

/** Who to erase: a user (with every anonymous id linked to them), or one anonymous visitor. */
export type ErasureTarget = { userId: string } | { anonymousId: string };

/** What an erasure removed, as `DELETE` answers it: `{ erased: { events, anonymousIds } }`. */
export interface Erased {
  events: number;
  anonymousIds: number;
}

/** The ids an erasure removed, for what keeps events outside the database (the live feed's memory). */
export interface ErasedIds {
  userIds: string[];
  anonymousIds: string[];
}

/** What {@link Store.erase} resolves with: the counts the route answers, and the ids. */
export interface Erasure {
  erased: Erased;
  ids: ErasedIds;
}

/** The writes a store offers inside one open erasure transaction. */
export interface EraseTx {
  /** Runs a statement (`?` placeholders); returns how many rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Holds these ids' locks until the transaction ends, as ingest takes them (PostgreSQL; SQLite has one writer). */
  lockIds(userIds: readonly string[], anonymousIds: readonly string[]): Promise<void>;
  /** Adds the hashes to the suppression list (those already there stay). */
  suppress(hashes: readonly string[], at: number): Promise<void>;
  addCounts(delta: CounterDelta): Promise<void>;
  readonly hasher: IdHasher;
  /** The store's SQL, where a statement is written for each (first_steps, firstSteps.ts). */
  readonly dialect: Dialect;
}

/**
 * What one attempt did: erased, nothing to erase (an unknown id), or the
 * ids to lock changed between the read and the locks (a link landed): the
 * caller rolls back and tries again with `relock`, so every lock is still
 * taken at once, never one more while holding others.
 */
export type EraseOutcome = Erasure | { unknown: true } | { relock: readonly string[] };

const LINKED = 'SELECT anonymous_id FROM links WHERE user_id = ?';
const STEP = EVENT_STEP_SQL();
const HAS_STEP = HAS_STEP_SQL();

const SQL = {
  userExists: 'SELECT user_id FROM users WHERE user_id = ?',
  anonymousExists: 'SELECT anonymous_id FROM anonymous_ids WHERE anonymous_id = ?',
  linked: `${LINKED} ORDER BY anonymous_id`,
  owner: 'SELECT user_id FROM links WHERE anonymous_id = ?',
  userEvents: 'DELETE FROM events WHERE user_id = ?',
  // Before the anonymous ids' rows, which give the visitor numbers.
  linkedEvents: `DELETE FROM events WHERE ${LINKED_VISITOR_EVENTS}`,
  anonymousEvents: `DELETE FROM events WHERE ${VISITOR_EVENTS}`,
  // One statement per subject kind: each an index range of the primary key.
  subjectRows: (table: 'traits' | 'memberships', kind: 'user' | 'anon') => `DELETE FROM ${table} WHERE subject_kind = '${kind}' AND subject_id = ?`,
  linkedSubjectRows: (table: 'traits' | 'memberships') => `DELETE FROM ${table} WHERE subject_kind = 'anon' AND subject_id IN (${LINKED})`,
  firstSteps: FIRST_STEPS_SQL.drop,
  principal: FIRST_STEPS_SQL.dropId,
  linkedFirstSteps: `DELETE FROM first_steps WHERE principal IN (SELECT p.id FROM principal_ids p JOIN links l ON p.key = 'a:' || l.anonymous_id WHERE l.user_id = ?)`,
  linkedPrincipals: `DELETE FROM principal_ids WHERE key IN (SELECT 'a:' || anonymous_id FROM links WHERE user_id = ?)`,
  userConflicts: `DELETE FROM conflicts WHERE user_id = ? OR attempted_user_id = ? OR anonymous_id IN (${LINKED})`,
  anonymousConflicts: 'DELETE FROM conflicts WHERE anonymous_id = ?',
  linkedAnonymousIds: `DELETE FROM anonymous_ids WHERE anonymous_id IN (${LINKED})`,
  anonymousId: 'DELETE FROM anonymous_ids WHERE anonymous_id = ?',
  userLinks: 'DELETE FROM links WHERE user_id = ?',
  anonymousLink: 'DELETE FROM links WHERE anonymous_id = ?',
  user: 'DELETE FROM users WHERE user_id = ?',
  userPerson: ['people_activity', 'people'].map((table) => `DELETE FROM ${table} WHERE kind = 'user' AND id = ?`),
  linkedPeople: ['people_activity', 'people'].map((table) => `DELETE FROM ${table} WHERE kind = 'anon' AND id IN (${LINKED})`),
  anonymousPerson: ['people_activity', 'people'].map((table) => `DELETE FROM ${table} WHERE kind = 'anon' AND id = ?`),
} as const;

/** A user's events and those of their linked anonymous ids, as step key and time (`?`: user id, user id). */
const USER_STEP_EVENTS = `SELECT ${STEP} AS step, e.ts FROM events e WHERE e.user_id = ? AND ${HAS_STEP}
  UNION ALL
  SELECT ${STEP} AS step, e.ts FROM events e WHERE ${LINKED_VISITOR_EVENTS} AND ${HAS_STEP}`;

/**
 * A user's first times counted again from their events under the links
 * (what funnel.ts keeps as events land), after one of their anonymous ids
 * was erased: its events may have held the user's earliest. The upsert
 * keeps the earlier of this count and a row an ingest wrote meanwhile.
 * `?`: principal key, user id, user id, each statement.
 */
const recountFirstSteps = (d: Dialect) => {
  const candidates = `SELECT CAST(? AS TEXT) AS principal, u.step, u.ts FROM (${USER_STEP_EVENTS}) u`;
  return [
    registerKeys('principal_ids', `SELECT principal AS k FROM (${candidates}) c`),
    insertFirstSteps(d, candidates),
  ];
};

const covers = (locked: ReadonlySet<string>, ids: readonly string[]) => ids.every((id) => locked.has(id));

/** Erases a user; `locked` are the anonymous ids an earlier attempt found linked. */
async function eraseUser(tx: EraseTx, userId: string, locked: readonly string[], now: number): Promise<EraseOutcome> {
  const read = async () => (await tx.all<{ anonymous_id: string }>(SQL.linked, [userId])).map((r) => r.anonymous_id);
  const want = new Set([...locked, ...(await read())]);
  await tx.lockIds([userId], [...want].sort());
  // Under the user's lock no new link to them can land; one may have landed before it.
  const anonymousIds = await read();
  if (!covers(want, anonymousIds)) return { relock: [...new Set([...want, ...anonymousIds])] };
  if (!(await tx.all(SQL.userExists, [userId])).length) return { unknown: true };

  const { hasher } = tx;
  await tx.suppress([hasher.hash('user', userId), ...anonymousIds.map((id) => hasher.hash('anon', id))], now);
  const events = (await tx.run(SQL.userEvents, [userId])) + (await tx.run(SQL.linkedEvents, [userId]));
  for (const table of ['traits', 'memberships'] as const) {
    await tx.run(SQL.subjectRows(table, 'user'), [userId]);
    await tx.run(SQL.linkedSubjectRows(table), [userId]);
  }
  await tx.run(SQL.firstSteps, [userPrincipal(userId)]);
  await tx.run(SQL.principal, [userPrincipal(userId)]);
  await tx.run(SQL.linkedFirstSteps, [userId]);
  await tx.run(SQL.linkedPrincipals, [userId]);
  await tx.run(SQL.userConflicts, [userId, userId, userId]);
  for (const sql of [...SQL.userPerson, ...SQL.linkedPeople]) await tx.run(sql, [userId]);
  // The rows found through the links go before the links.
  const anonymous = await tx.run(SQL.linkedAnonymousIds, [userId]);
  const links = await tx.run(SQL.userLinks, [userId]);
  const users = await tx.run(SQL.user, [userId]);
  await tx.addCounts({ events: -events, users: -users, anonymousIds: -anonymous, linkedAnonymousIds: -links });
  return { erased: { events, anonymousIds: anonymous }, ids: { userIds: [userId], anonymousIds } };
}

/** Erases one anonymous visitor; `locked` names the user an earlier attempt found it linked to. */
async function eraseAnonymous(tx: EraseTx, anonymousId: string, locked: readonly string[], now: number): Promise<EraseOutcome> {
  const read = async () => (await tx.all<{ user_id: string }>(SQL.owner, [anonymousId])).map((r) => r.user_id);
  const want = new Set([...locked, ...(await read())]);
  await tx.lockIds([...want], [anonymousId]);
  const owners = await read();
  if (!covers(want, owners)) return { relock: [...new Set([...want, ...owners])] };
  if (!(await tx.all(SQL.anonymousExists, [anonymousId])).length) return { unknown: true };

  await tx.suppress([tx.hasher.hash('anon', anonymousId)], now);
  const events = await tx.run(SQL.anonymousEvents, [anonymousId]);
  for (const table of ['traits', 'memberships'] as const) await tx.run(SQL.subjectRows(table, 'anon'), [anonymousId]);
  await tx.run(SQL.firstSteps, [anonymousPrincipal(anonymousId)]);
  await tx.run(SQL.principal, [anonymousPrincipal(anonymousId)]);
  await tx.run(SQL.anonymousConflicts, [anonymousId]);
  for (const sql of SQL.anonymousPerson) await tx.run(sql, [anonymousId]);
  const links = await tx.run(SQL.anonymousLink, [anonymousId]);
  const anonymous = await tx.run(SQL.anonymousId, [anonymousId]);
  for (const owner of owners) {
    await tx.run(SQL.firstSteps, [userPrincipal(owner)]);
    for (const statement of recountFirstSteps(tx.dialect)) await tx.run(statement, [userPrincipal(owner), owner, owner]);
    await recountUser(tx.run, tx.all, owner);
  }
  await tx.addCounts({ events: -events, users: 0, anonymousIds: -anonymous, linkedAnonymousIds: -links });
  return { erased: { events, anonymousIds: anonymous }, ids: { userIds: [], anonymousIds: [anonymousId] } };
}

/**
 * One attempt at an erasure in an open transaction; the caller commits an
 * `erased`, and rolls back anything else (retrying a `relock` with it).
 * `relock`: the ids an earlier attempt found to lock besides the target's
 * own (a user's anonymous ids, or the user an anonymous id is linked to).
 */
export function eraseIn(tx: EraseTx, target: ErasureTarget, relock: readonly string[] = [], now = Date.now()): Promise<EraseOutcome> {
  return 'userId' in target ? eraseUser(tx, target.userId, relock, now) : eraseAnonymous(tx, target.anonymousId, relock, now);
}

/** Attempts before an erasure whose ids keep changing gives up (each retry follows a link that landed meanwhile). */
export const MAX_RELOCKS = 20;

/** Runs {@link eraseIn} attempts through `attempt` (one transaction each) until one is not a relock. */
export async function eraseWithRetries(
  target: ErasureTarget,
  attempt: (relock: readonly string[]) => Promise<EraseOutcome>,
): Promise<Erasure | null> {
  let relock: readonly string[] = [];
  for (let i = 0; i < MAX_RELOCKS; i++) {
    const outcome = await attempt(relock);
    if ('erased' in outcome) return outcome;
    if ('unknown' in outcome) return null;
    relock = outcome.relock;
  }
  throw new Error(`idstitch collector: the ids of ${JSON.stringify(target)} kept changing during ${MAX_RELOCKS} erasure attempts`);
}
