import { uuid } from './uuid.js';
import { checkId } from '../protocol/ids.js';
import type { Properties } from '../protocol/messages.js';
import type { Stores } from './storage.js';

/** Who the visitor is right now. */
export interface IdentityState {
  anonymousId: string;
  userId: string | null;
  companyId: string | null;
  traits: Properties;
}

/** The keys under the tracker's storage prefix. */
export const KEY = { anonymousId: 'aid', userId: 'uid', companyId: 'cid', traits: 'traits', session: 'sid', optOut: 'opt' } as const;

const validOrNull = (value: string | null) => (value !== null && checkId(value).ok ? value : null);

/** Traits as stored by this tracker; anything unreadable counts as none. */
function parseTraits(json: string | null): Properties {
  try {
    const traits: unknown = JSON.parse(json!);
    return traits?.constructor === Object ? (traits as Properties) : {};
  } catch {
    return {};
  }
}

/**
 * Reads the identity. The first id store holding an anonymous id wins (the
 * cookie before localStorage), and its anonymous, user and company ids are
 * taken together: a logout on a sibling subdomain replaced the cookie, and a
 * stale localStorage must not resurrect the old user. Every store that
 * differs from the winner is rewritten (self-repair).
 */
export function loadIdentity(stores: Stores, prefix: string): IdentityState {
  const key = (name: string) => prefix + name;
  const winner = stores.ids.find((store) => store.get(key(KEY.anonymousId)));
  const traitsOwner = stores.traits.get(key(KEY.anonymousId));
  const identity: IdentityState = {
    anonymousId: winner?.get(key(KEY.anonymousId)) ?? uuid(),
    userId: winner ? validOrNull(winner.get(key(KEY.userId))) : null,
    companyId: winner ? validOrNull(winner.get(key(KEY.companyId))) : null,
    traits: {},
  };
  // Traits belong to the anonymous id they were stored with (a new one after any reset or split):
  // a different winner means they are someone else's.
  if (!winner || stores.traits === winner || traitsOwner === identity.anonymousId) {
    identity.traits = parseTraits(stores.traits.get(key(KEY.traits)));
  }
  saveIdentity(stores, prefix, identity);
  return identity;
}

/**
 * Writes the identity to every store. Rewriting the cookies on each load is
 * deliberate: it rolls their expiry forward for active visitors.
 */
export function saveIdentity(stores: Stores, prefix: string, identity: IdentityState): void {
  const ids = { [KEY.anonymousId]: identity.anonymousId, [KEY.userId]: identity.userId, [KEY.companyId]: identity.companyId };
  for (const store of stores.ids) {
    for (const [name, value] of Object.entries(ids)) {
      if (value === null) store.remove(prefix + name);
      else store.set(prefix + name, value);
    }
  }
  stores.traits.set(prefix + KEY.traits, JSON.stringify(identity.traits));
}
