/**
 * The suppression list of erased ids (README "Erasure"): after
 * `DELETE /v1/users/:userId` or `DELETE /v1/anonymous/:anonymousId`, a
 * message naming an erased id is refused as `suppressed`.
 *
 * The list keeps keyed hashes, never the ids: HMAC-SHA256 under a random
 * key made once per database and kept in `idstitch_meta`. Without the key a
 * hash cannot be tested against a guessed id, and hashes of two
 * deployments never match. (Whoever holds the whole database holds the key
 * too: the list hides ids from a reader of the list, not from the owner.)
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { StoredEvent } from './types.js';

/** The `idstitch_meta` key of the suppression key. */
const META_KEY = 'suppression_key';

/** Adds a new random key unless the database has one (`?`: the new key); run where the schema is migrated. */
export const ENSURE_KEY = `INSERT INTO idstitch_meta (key, value) VALUES ('${META_KEY}', ?) ON CONFLICT (key) DO NOTHING`;
export const READ_KEY = `SELECT value FROM idstitch_meta WHERE key = '${META_KEY}'`;

/** A fresh key, as {@link ENSURE_KEY} takes it: 32 random bytes in hex. */
export const newSuppressionKey = (): string => randomBytes(32).toString('hex');

/** What an id names: a user id and an anonymous id with the same text are different ids. */
export type IdKind = 'user' | 'anon';

/** Hashes ids under one database's key; each id is hashed once per hasher. */
export class IdHasher {
  private readonly key: Buffer;
  private readonly memo = new Map<string, string>();

  /** @param hexKey the database's key, as {@link READ_KEY} reads it */
  constructor(hexKey: string) {
    if (!/^[0-9a-f]{64}$/.test(hexKey)) throw new Error('idstitch collector: the suppression key in idstitch_meta is not 64 hex digits');
    this.key = Buffer.from(hexKey, 'hex');
  }

  /** The stored hash of an id: HMAC-SHA256 of `u:<id>` or `a:<id>`, in hex. */
  hash(kind: IdKind, id: string): string {
    const text = `${kind === 'user' ? 'u' : 'a'}:${id}`;
    let hash = this.memo.get(text);
    if (hash === undefined) {
      hash = createHmac('sha256', this.key).update(text).digest('hex');
      // Ids repeat across the batches of a busy writer; the memo stays small enough to keep.
      if (this.memo.size >= 10_000) this.memo.clear();
      this.memo.set(text, hash);
    }
    return hash;
  }
}

/** Every id a message names as it was sent, by kind: its user id (a refused, unverified one too), anonymous id and alias `previousId`. */
export function idsOf(e: StoredEvent): { userIds: string[]; anonymousIds: string[] } {
  const userIds: string[] = [];
  const anonymousIds: string[] = [];
  if (e.userId !== null) userIds.push(e.userId);
  if (e.unverifiedUserId !== null) userIds.push(e.unverifiedUserId);
  if (e.anonymousId !== null) anonymousIds.push(e.anonymousId);
  if (e.previousId !== null) anonymousIds.push(e.previousId);
  return { userIds, anonymousIds };
}

/** The ids of the events, distinct and sorted: what an ingest transaction locks (PostgreSQL) before it checks them. */
export function lockSet(events: readonly StoredEvent[]): { userIds: string[]; anonymousIds: string[] } {
  const users = new Set<string>();
  const anonymous = new Set<string>();
  for (const e of events) {
    const ids = idsOf(e);
    for (const id of ids.userIds) users.add(id);
    for (const id of ids.anonymousIds) anonymous.add(id);
  }
  return { userIds: [...users].sort(), anonymousIds: [...anonymous].sort() };
}

/** Each id hash of the events with the position of its event: what is looked up in `suppressions`. */
export function eventHashes(hasher: IdHasher, events: readonly StoredEvent[]): { hashes: string[]; positions: number[] } {
  const hashes: string[] = [];
  const positions: number[] = [];
  events.forEach((e, position) => {
    const { userIds, anonymousIds } = idsOf(e);
    for (const id of userIds) {
      hashes.push(hasher.hash('user', id));
      positions.push(position);
    }
    for (const id of anonymousIds) {
      hashes.push(hasher.hash('anon', id));
      positions.push(position);
    }
  });
  return { hashes, positions };
}
