import { checkId } from '../protocol/ids.js';
import type { Properties } from '../protocol/messages.js';
import { attempt } from './attempt.js';
import type { Stores } from './storage.js';
import { erase, read as readStore, write } from './store/types.js';
import type { KeyValueStore } from './store/types.js';
import { uuid } from './uuid.js';

/** Who the visitor is right now. */
export interface IdentityState {
  _anonymousId: string;
  _userId: string | null;
  _companyId: string | null;
  _traits: Properties;
}

/** The keys under the tracker's storage prefix. */
export const KEY = { anonymousId: 'aid', userId: 'uid', companyId: 'cid', traits: 'traits', session: 'sid', optOut: 'opt' } as const;

/** A new visitor: a new anonymous id, nobody identified. */
export const anonymousIdentity = (): IdentityState => ({ _anonymousId: uuid(), _userId: null, _companyId: null, _traits: {} });

/**
 * Reads the identity. The first id store holding an anonymous id wins (the
 * cookie before localStorage), and its anonymous, user and company ids are
 * taken together: a logout on a sibling subdomain replaced the cookie, and a
 * stale localStorage must not resurrect the old user. Every store that
 * differs from the winner is rewritten (self-repair).
 */
export function loadIdentity(stores: Stores, prefix: string): IdentityState {
  const read = (store: KeyValueStore, name: string) => readStore(store, prefix + name);
  // checkId refuses null too.
  const validOrNull = (value: string | null) => (checkId(value).ok ? value : null);
  const winner = stores._ids.find((store) => read(store, KEY.anonymousId));
  const identity = anonymousIdentity();
  if (winner) {
    identity._anonymousId = read(winner, KEY.anonymousId)!;
    identity._userId = validOrNull(read(winner, KEY.userId));
    identity._companyId = validOrNull(read(winner, KEY.companyId));
  }
  // Traits belong to the anonymous id they were stored with (a new one after any reset or split):
  // a different winner means they are someone else's. Anything unreadable counts as none.
  if (!winner || stores._traits === winner || read(stores._traits, KEY.anonymousId) === identity._anonymousId) {
    const traits: unknown = attempt(() => JSON.parse(read(stores._traits, KEY.traits)!));
    if (traits?.constructor === Object) identity._traits = traits as Properties;
  }
  saveIdentity(stores, prefix, identity);
  return identity;
}

/**
 * Writes the identity to every store. Rewriting the cookies on each load is
 * deliberate: it rolls their expiry forward for active visitors.
 */
export function saveIdentity(stores: Stores, prefix: string, identity: IdentityState): void {
  for (const store of stores._ids) {
    for (const [name, value] of [[KEY.anonymousId, identity._anonymousId], [KEY.userId, identity._userId], [KEY.companyId, identity._companyId]] as const) {
      if (value) write(store, prefix + name, value);
      else erase(store, prefix + name);
    }
  }
  write(stores._traits, prefix + KEY.traits, JSON.stringify(identity._traits));
}
