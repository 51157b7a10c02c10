import { eraseIdentity, Key, loadIdentity, saveIdentity } from './identity.js';
import type { IdentityState } from './identity.js';
import type { Stores } from './storage.js';
import { read } from './store/types.js';

/**
 * The visitor kept in step with the other tabs of the origin: a reset, a
 * login or an opt-out in one tab reaches the others through the storage
 * event, and before their next message even ahead of it. `take` gets the
 * identity and the opt-out choice at the start and whenever another tab
 * changed them.
 */
export function sharedIdentity(stores: Stores, prefix: string, take: (identity: IdentityState, optedOut: boolean) => void) {
  const state = stores._state;
  // What the tabs' shared store held when this tab last read or wrote it: a difference means another tab changed the
  // identity. That store is `state` (localStorage, else the cookie), the last of the id stores. The token is there too
  // where there is localStorage, so a new token in another tab reaches this tab's next message.
  const stored = () => `${read(state, prefix + Key.anonymousId)}|${read(state, prefix + Key.userId)}|${read(state, prefix + Key.token)}`;
  let seen: string;
  // Consent withdrawn: another tab's change must not write the identity back.
  let stopped = false;
  const reload = () => {
    take(loadIdentity(stores, prefix), read(state, prefix + Key.optOut) === '1');
    seen = stored();
  };
  reload();
  addEventListener('storage', ({ key }) => {
    if (!stopped && (key === null || (key.startsWith(prefix) && !key.startsWith(prefix + 'q_')))) reload();
  });
  return {
    /** Before a message: a change another tab made is read first, even ahead of its storage event. */
    _sync() {
      if (stored() !== seen) reload();
    },
    /** Stores this tab's change, for the other tabs. */
    _persist(identity: IdentityState) {
      saveIdentity(stores, prefix, identity);
      seen = stored();
    },
    /** Consent withdrawn: forgets everything stored and stops following the other tabs. */
    _stop() {
      stopped = true;
      eraseIdentity(stores, prefix);
    },
  };
}
