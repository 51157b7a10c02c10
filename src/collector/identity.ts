/**
 * The identity graph rules of README "The collector", as data both stores apply.
 *
 * - A message carrying an `anonymousId` and a `userId` (an `identify`, and
 *   every later message of an identified browser or API call) links that
 *   anonymous id to that user; `alias` links `previousId` to `userId` the same
 *   way. The first link stored wins: an anonymous id is never re-linked, a
 *   later attempt with another user is recorded as a conflict.
 * - Events are attributed when read, not when written: an event with a
 *   `userId` belongs to that user; one without belongs to the user its
 *   anonymous id is linked to, or to the lone anonymous id. So a late identify
 *   attributes the events that arrived before it, and no event is rewritten.
 * - Traits merge per key, newest event time wins (arrival breaks ties).
 *   `identify` traits go to the user, or to the anonymous id while anonymous
 *   (they reach the user once it is linked); `group` traits go to the company.
 * - A `group` message (or a valid `context.groupId`) makes its sender (the
 *   user, or the anonymous id, which brings it to its user once linked) a
 *   member of that company; the newest membership wins, one company per user.
 */
import type { StoredEvent } from './store/types.js';

/** Who a trait or membership belongs to. */
export type SubjectKind = 'user' | 'anon' | 'company';

/** An attempt to link an anonymous id to a user. */
export interface LinkAttempt {
  anonymousId: string;
  userId: string;
  messageId: string;
  at: number;
}

/** One trait value to upsert if it is newer than the stored one. */
export interface TraitWrite {
  kind: SubjectKind;
  id: string;
  key: string;
  /** The value as JSON. */
  value: string;
  ts: number;
}

/** A company membership to upsert if newer than the stored one. */
export interface MembershipWrite {
  kind: 'user' | 'anon';
  id: string;
  companyId: string;
  ts: number;
}

/** Everything newly stored events do to the graph, reduced and sorted (a stable lock order). */
export interface Effects {
  /** id → first seen (receivedAt). */
  userIds: Map<string, number>;
  companyIds: Map<string, number>;
  /** In message order, one per distinct pair. */
  links: LinkAttempt[];
  traits: TraitWrite[];
  memberships: MembershipWrite[];
}

function remember(ids: Map<string, number>, id: string | null, at: number): void {
  if (id !== null && !ids.has(id)) ids.set(id, at);
}

function newer<T extends { ts: number }>(byKey: Map<string, T>, key: string, write: T): void {
  const current = byKey.get(key);
  if (!current || current.ts <= write.ts) byKey.set(key, write);
}

const sortedValues = <T>(byKey: Map<string, T>): T[] => [...byKey.keys()].sort().map((key) => byKey.get(key)!);

/**
 * The anonymous ids the events name (their own and an alias's `previousId`),
 * each with the events that name it in order; registered before the events
 * are inserted, which carry their numbers (store/visitors.ts).
 */
export function eventsByAnonymousId(events: readonly StoredEvent[]): Map<string, StoredEvent[]> {
  const ids = new Map<string, StoredEvent[]>();
  const add = (id: string | null, e: StoredEvent) => {
    if (id === null) return;
    const named = ids.get(id);
    if (named) named.push(e);
    else ids.set(id, [e]);
  };
  for (const e of events) {
    add(e.anonymousId, e);
    if (e.previousId !== e.anonymousId) add(e.previousId, e);
  }
  return ids;
}

/** The graph effects of events that were just stored (not of duplicates). */
export function planEffects(events: readonly StoredEvent[]): Effects {
  const effects: Effects = { userIds: new Map(), companyIds: new Map(), links: [], traits: [], memberships: [] };
  const linked = new Set<string>();
  const traits = new Map<string, TraitWrite>();
  const memberships = new Map<string, MembershipWrite>();
  const link = (anonymousId: string | null, e: StoredEvent) => {
    if (anonymousId === null || e.userId === null) return;
    const pair = `${anonymousId}\0${e.userId}`;
    if (linked.has(pair)) return;
    linked.add(pair);
    effects.links.push({ anonymousId, userId: e.userId, messageId: e.messageId, at: e.receivedAt });
  };

  for (const e of events) {
    remember(effects.userIds, e.userId, e.receivedAt);
    remember(effects.companyIds, e.groupId, e.receivedAt);
    link(e.previousId, e);
    link(e.anonymousId, e);

    const sender = e.userId !== null ? { kind: 'user' as const, id: e.userId } : { kind: 'anon' as const, id: e.anonymousId! };
    if (e.traits) {
      const owner = e.kind === 'group' ? { kind: 'company' as const, id: e.groupId! } : sender;
      for (const [key, value] of Object.entries(e.traits)) {
        newer(traits, `${owner.kind}\0${owner.id}\0${key}`, { ...owner, key, value: JSON.stringify(value) ?? 'null', ts: e.timestamp });
      }
    }
    if (e.groupId !== null) {
      newer(memberships, `${sender.kind}\0${sender.id}`, { ...sender, companyId: e.groupId, ts: e.timestamp });
    }
  }
  effects.traits = sortedValues(traits);
  effects.memberships = sortedValues(memberships);
  return effects;
}

/** Merges trait rows (from a user and its anonymous ids): per key, the newest value wins. */
export function mergeTraits(rows: readonly { key: string; value: string; ts: number }[]): Record<string, unknown> {
  const newest = new Map<string, { value: string; ts: number }>();
  for (const row of rows) {
    const current = newest.get(row.key);
    if (!current || current.ts <= row.ts) newest.set(row.key, row);
  }
  // A null-prototype object: a key named `__proto__` stays plain data.
  const traits: Record<string, unknown> = Object.create(null);
  for (const key of [...newest.keys()].sort()) traits[key] = JSON.parse(newest.get(key)!.value);
  return traits;
}

/**
 * The mega-user rule (Fullstory's term): more than `limit` anonymous ids
 * linked to one user within any `windowMs`. `linkTimes` are the link times.
 */
export function isMegaUser(linkTimes: readonly number[], limit: number, windowMs: number): boolean {
  const times = [...linkTimes].sort((a, b) => a - b);
  for (let i = 0; i + limit < times.length; i++) {
    if (times[i + limit]! - times[i]! <= windowMs) return true;
  }
  return false;
}
