/**
 * The ingest transaction, written once for both stores: register the
 * anonymous ids of events not stored yet, insert the events (duplicates do
 * nothing), then apply the graph effects of the new ones.
 */
import { firstStepsOf, type FirstStep } from '../funnel.js';
import { eventsByAnonymousId, planEffects, type LinkAttempt, type MembershipWrite, type TraitWrite } from '../identity.js';
import { activityOf, keyWritesOf, type PeopleUpdate } from '../people.js';
import type { CounterDelta } from './schema.js';
import type { IngestResult, StoredEvent } from './types.js';

/** Why a link was not made: the anonymous id was linked to another user already, or the user id was not verified. */
export type ConflictReason = 'relinked' | 'unverified';

/** A refused link. */
export interface ConflictRecord {
  anonymousId: string;
  /** The user the anonymous id is linked to; `''` for an unverified claim (there is none to name). */
  userId: string;
  attemptedUserId: string;
  at: number;
  messageId: string;
  reason: ConflictReason;
}

/** The id registries besides the anonymous ids' (those have numbers, {@link WriteTx.registerVisitors}). */
export type IdTable = 'users' | 'companies';

/** The anonymous ids of a transaction's events, registered: each id's visitor number, and how many were new. */
export interface Visitors {
  numbers: ReadonlyMap<string, number>;
  added: number;
}

/** The writes a store offers inside one open transaction. */
export interface WriteTx {
  /**
   * The visitor numbers (visitors.ts) of the anonymous ids `entries` name
   * (sorted `[id, the events that name it]`), registering each id not yet
   * known, first seen at its first event's arrival, if one of its events is
   * not stored already (`entries` hold each message's first copy in the
   * transaction only). An id that only duplicates name (a retry whose ids
   * changed) stays unknown, as before the numbers: it gets no number, and
   * its events are not stored.
   */
  registerVisitors(entries: readonly [string, readonly StoredEvent[]][]): Promise<Visitors>;
  /**
   * Inserts, skipping any already stored, each event without a user id with
   * its anonymous id's number from `visitors`; returns the {@link dedupeKey}s
   * of those inserted now.
   */
  insertEvents(events: readonly StoredEvent[], visitors: ReadonlyMap<string, number>): Promise<ReadonlySet<string>>;
  /** Registers ids not yet known; `entries` are sorted `[id, firstSeen]`. Returns those that were new. */
  registerIds(table: IdTable, entries: readonly [string, number][]): Promise<readonly string[]>;
  /**
   * Inserts each link whose anonymous id is not linked already (each
   * anonymous id comes once); returns those inserted. In the order given,
   * each new link then clears the unverified claim of the same pair (a
   * sibling subdomain's, before the verified login landed: it came true),
   * and the anonymous id's first times and `people` row join its user's
   * (funnel.ts, people.ts).
   */
  insertLinks(links: readonly LinkAttempt[]): Promise<ReadonlySet<LinkAttempt>>;
  /** The users these anonymous ids are linked to (committed, or earlier in this transaction); an id not linked is not in the map. */
  linkedUsers(anonymousIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  recordConflict(conflict: ConflictRecord): Promise<void>;
  /** Upserts each trait unless the stored one is newer. */
  upsertTraits(writes: readonly TraitWrite[]): Promise<void>;
  /** Upserts each membership unless the stored one is newer. */
  upsertMemberships(writes: readonly MembershipWrite[]): Promise<void>;
  /** Adds what this transaction stored to the stats counters (see schema.ts). */
  addCounts(delta: CounterDelta): Promise<void>;
  /**
   * The positions in `events` of those that name a suppressed id
   * (suppression.ts), read once the transaction holds the lock of every id
   * they name, until it ends, where writers run concurrently (PostgreSQL,
   * the `suppressed_events` function in schema.ts; SQLite has one writer).
   * Those locks also keep `first_steps` exact (`record_first_steps`).
   */
  suppressedAmong(events: readonly StoredEvent[]): Promise<ReadonlySet<number>>;
  /** Keeps each candidate first time that is earlier than its principal's stored one, attributed under the links stored so far. */
  recordFirstSteps(steps: readonly FirstStep[]): Promise<void>;
  /** Applies the transaction's activity, names, emails and memberships to the `people` and `people_activity` rows, under the links stored so far. */
  recordPeople(update: PeopleUpdate): Promise<void>;
}

/** What makes two messages one: the same `messageId` and client `timestamp` (see schema.ts). */
export const dedupeKey = (messageId: string, originalTimestamp: number | null): string => `${originalTimestamp ?? 0} ${messageId}`;

/** Per-row SQL (`?` placeholders) of SQLite's ingest; PostgreSQL's lands links in one call (insertLinks.ts) and uses only some of these. */
export const SQL = {
  insertLink: 'INSERT INTO links (anonymous_id, user_id, linked_at, message_id) VALUES (?, ?, ?, ?) ON CONFLICT (anonymous_id) DO NOTHING',
  linkedUser: 'SELECT user_id FROM links WHERE anonymous_id = ?',
  /** `?`: the anonymous id, the user id of a link just made. */
  clearConfirmedClaim: "DELETE FROM conflicts WHERE anonymous_id = ? AND attempted_user_id = ? AND reason = 'unverified'",
  recordConflict:
    'INSERT INTO conflicts (anonymous_id, user_id, attempted_user_id, at, message_id, reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (anonymous_id, attempted_user_id) DO NOTHING',
} as const;

/** `ON CONFLICT` clauses that keep the newest trait / membership. */
export const UPSERT = {
  traits: 'ON CONFLICT (subject_kind, subject_id, key) DO UPDATE SET value = excluded.value, ts = excluded.ts WHERE traits.ts <= excluded.ts',
  memberships: 'ON CONFLICT (subject_kind, subject_id) DO UPDATE SET company_id = excluded.company_id, ts = excluded.ts WHERE memberships.ts <= excluded.ts',
} as const;

const sortedEntries = <T>(ids: Map<string, T>): [string, T][] =>
  [...ids.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Each message's first copy among the events (a later one with its dedupe key is its duplicate). */
function firstCopies(events: readonly StoredEvent[]): StoredEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = dedupeKey(e.messageId, e.originalTimestamp);
    return !seen.has(key) && !!seen.add(key);
  });
}

const NONE: ReadonlySet<number> = new Set();
const NONE_MADE: ReadonlySet<LinkAttempt> = new Set();
const NO_OWNERS: ReadonlyMap<string, string> = new Map();

/** The first attempt per anonymous id, in order (a later one cannot be stored in the same transaction). */
function firstPerAnonymousId(links: readonly LinkAttempt[]): LinkAttempt[] {
  const seen = new Set<string>();
  return links.filter((link) => !seen.has(link.anonymousId) && seen.add(link.anonymousId));
}

/**
 * One result per batch, given the dedupe keys the insert stored and the
 * positions (in all the batches' events, in order) refused as suppressed,
 * and the events stored now (a repeat within the call counts once).
 */
export function countStored(batches: readonly (readonly StoredEvent[])[], inserted: ReadonlySet<string>, refused = NONE): { results: IngestResult[]; fresh: StoredEvent[] } {
  const fresh: StoredEvent[] = [];
  const counted = new Set<string>();
  let position = 0;
  const results = batches.map((batch) => {
    let stored = 0;
    const suppressed: number[] = [];
    batch.forEach((event, index) => {
      if (refused.has(position++)) {
        suppressed.push(index);
        return;
      }
      const key = dedupeKey(event.messageId, event.originalTimestamp);
      if (!inserted.has(key) || counted.has(key)) return;
      counted.add(key);
      fresh.push(event);
      stored++;
    });
    const result: IngestResult = { stored, duplicates: batch.length - stored - suppressed.length };
    if (suppressed.length) result.suppressed = suppressed;
    return result;
  });
  return { results, fresh };
}

/**
 * True when an event's only graph effect is registering its ids: no link (it
 * does not carry both ids), no alias, no traits, no company.
 */
export const onlyRegistersIds = (e: StoredEvent): boolean =>
  e.previousId === null && e.groupId === null && e.traits === null && e.unverifiedUserId === null && (e.anonymousId === null || e.userId === null);

/**
 * Writes several HTTP batches in one open transaction; returns one result
 * per batch. The caller commits.
 */
export async function applyBatches(tx: WriteTx, batches: readonly (readonly StoredEvent[])[]): Promise<IngestResult[]> {
  const events = batches.flat();
  // First, and every lock at once: before anything is written or reads a link (taken one by one, two writers
  // could wait on each other), and before the check, so a concurrent erasure is either seen or waits for us.
  const refused = await tx.suppressedAmong(events);
  const kept = refused.size ? events.filter((_, position) => !refused.has(position)) : events;
  if (!kept.length) return countStored(batches, new Set(), refused).results;
  // Before the insert, which stores the numbers; a message's later copies in this transaction are its duplicates.
  const visitors = await tx.registerVisitors(sortedEntries(eventsByAnonymousId(firstCopies(kept))));
  const inserted = await tx.insertEvents(kept, visitors.numbers);
  const { results, fresh } = countStored(batches, inserted, refused);
  if (!fresh.length) return results;

  const effects = planEffects(fresh);
  const steps = firstStepsOf(fresh);
  const delta: CounterDelta = { events: fresh.length, users: 0, anonymousIds: visitors.added, linkedAnonymousIds: 0 };
  delta.users = (await tx.registerIds('users', sortedEntries(effects.userIds))).length;
  // A company known already has its `people` row (made when it was registered, or by the upgrade to version 9).
  const newCompanies = await tx.registerIds('companies', sortedEntries(effects.companyIds));
  // All at once, as they would land one by one: a later attempt for an anonymous id is refused, as the first
  // is stored (or a link was before); a merge touches neither links nor claims, so it may follow every insert.
  const made = effects.links.length ? await tx.insertLinks(firstPerAnonymousId(effects.links)) : NONE_MADE;
  delta.linkedAnonymousIds = made.size;
  const refusedLinks = made.size === effects.links.length ? [] : effects.links.filter((link) => !made.has(link));
  const claims = fresh.filter((e) => e.unverifiedUserId !== null && e.anonymousId !== null);
  const asked = [...new Set([...refusedLinks.map((link) => link.anonymousId), ...claims.map((e) => e.anonymousId!)])];
  const owners = asked.length ? await tx.linkedUsers(asked) : NO_OWNERS;
  for (const link of refusedLinks) {
    const owner = owners.get(link.anonymousId);
    if (owner !== undefined && owner !== link.userId) {
      await tx.recordConflict({ anonymousId: link.anonymousId, userId: owner, attemptedUserId: link.userId, at: link.at, messageId: link.messageId, reason: 'relinked' });
    }
  }
  for (const e of claims) {
    // The claim agrees with a verified link (a sibling subdomain shares the ids by cookie, not the token): nothing to report.
    if (owners.get(e.anonymousId!) === e.unverifiedUserId) continue;
    await tx.recordConflict({ anonymousId: e.anonymousId!, userId: '', attemptedUserId: e.unverifiedUserId!, at: e.receivedAt, messageId: e.messageId, reason: 'unverified' });
  }
  await tx.upsertTraits(effects.traits);
  await tx.upsertMemberships(effects.memberships);
  // After the links, as the first times below.
  await tx.recordPeople({ activity: activityOf(fresh), keys: keyWritesOf(effects.traits), memberships: effects.memberships, companies: newCompanies });
  // After the links: an event of an anonymous id linked in this transaction is its user's.
  await tx.recordFirstSteps(steps);
  // Last: on PostgreSQL the counter row stays locked until the commit that follows.
  await tx.addCounts(delta);
  return results;
}
