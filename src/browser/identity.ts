import { idProblem } from '../protocol/ids.js';
import type { Properties } from '../protocol/messages.js';
import { attempt } from './attempt.js';
import type { Stores } from './storage.js';
import { read, write } from './store/types.js';
import { uuid } from './uuid.js';

/** Who the visitor is right now. */
export interface IdentityState {
  _anonymousId: string;
  _userId: string | null;
  _companyId: string | null;
  _traits: Properties;
  /** The identity token of `_userId` (README "Verified identity"); only ever set together with it. */
  _token?: string | undefined;
}

/**
 * The keys under the tracker's storage prefix. A const enum: the build writes each key in place
 * (-20 B gzip on either path), where an object's fields became variables of their own.
 */
export const enum Key { anonymousId = 'aid', userId = 'uid', companyId = 'cid', traits = 'traits', token = 'tok', session = 'sid', optOut = 'opt' }

/** Longest identity token accepted; longer values are a mistake (a whole session, a serialised object). */
export const MAX_TOKEN_LENGTH = 512;

/** A new visitor: a new anonymous id (or the one given), nobody identified. */
export const anonymousIdentity = (anonymousId = uuid()): IdentityState => ({ _anonymousId: anonymousId, _userId: null, _companyId: null, _traits: {} });

/**
 * Reads the identity. The first id store holding an anonymous id wins (the
 * cookie before localStorage), and its anonymous, user and company ids are
 * taken together: a logout on a sibling subdomain replaced the cookie, and a
 * stale localStorage must not resurrect the old user. Every store that
 * differs from the winner is rewritten (self-repair).
 */
export function loadIdentity(stores: Stores, prefix: string): IdentityState {
  // idProblem refuses null and undefined too.
  const validOrNull = (value: string | null | undefined) => (idProblem(value) ? null : value!);
  const winner = stores._ids.find((store) => read(store, prefix + Key.anonymousId));
  // The winner's anonymous id, or a new one.
  const identity = anonymousIdentity(winner && read(winner, prefix + Key.anonymousId)!);
  if (winner) {
    identity._userId = validOrNull(read(winner, prefix + Key.userId));
    identity._companyId = validOrNull(read(winner, prefix + Key.companyId));
  }
  // The token is stored with the user id it belongs to: a sibling subdomain may have logged someone else in through
  // the shared cookie since. Anything unreadable counts as none.
  attempt(() => {
    const [owner, token] = JSON.parse(read(stores._traits, prefix + Key.token)!) as unknown[];
    if (identity._userId && owner === identity._userId && typeof token === 'string') identity._token = token;
  });
  // Traits belong to the anonymous id stored beside them (a new one after any reset or split): a different winner
  // means they are someone else's. Anything unreadable counts as none.
  if (read(stores._traits, prefix + Key.anonymousId) === identity._anonymousId) {
    const traits: unknown = attempt(() => JSON.parse(read(stores._traits, prefix + Key.traits)!));
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
    write(store, prefix + Key.anonymousId, identity._anonymousId);
    write(store, prefix + Key.userId, identity._userId);
    write(store, prefix + Key.companyId, identity._companyId);
  }
  write(stores._traits, prefix + Key.traits, JSON.stringify(identity._traits));
  // Beside the traits, never in a cookie: a token rides on no request but the SDK's own.
  write(stores._traits, prefix + Key.token, identity._token && JSON.stringify([identity._userId, identity._token]));
}

/**
 * Removes everything the tracker stored (consent denied): ids, session, and from localStorage every key
 * of the tracker (traits, token, each tab's queued messages). The opt-out choice stays: it is the
 * visitor's own, and no identifier.
 */
export function eraseIdentity(stores: Stores, prefix: string): void {
  // The session's store, `_state`, is the last of `_ids`.
  for (const store of stores._ids) {
    write(store, prefix + Key.anonymousId, null);
    write(store, prefix + Key.userId, null);
    write(store, prefix + Key.companyId, null);
    write(store, prefix + Key.session, null);
  }
  const storage = stores._storage;
  attempt(() => storage && Object.keys(storage).forEach((key) => key.startsWith(prefix) && key !== prefix + Key.optOut && storage.removeItem(key)));
}
