import { read, write as writeStore } from './store/types.js';
import type { KeyValueStore } from './store/types.js';
import { uuid } from './uuid.js';

/** Activity is written back at most this often: a busy page must not write storage on every call. */
const WRITE_EVERY_MS = 1000;

/**
 * The session id: kept while the visitor is active, renewed after
 * `timeout` ms without a message. Stored as `<id>.<last activity ms>` so
 * tabs of one origin share a session.
 */
export function createSession(store: KeyValueStore, key: string, timeout: number) {
  let id = '';
  let lastActivity = 0;
  let lastWrite = 0;
  const write = (now: number) => writeStore(store, key, id + '.' + (lastWrite = now));
  /** Starts a new session at `now` (expiry, logout). */
  const renew = (now: number) => {
    id = uuid();
    write((lastActivity = now));
  };
  return {
    /** The session id for a message made at `now`, renewing it when it has expired. */
    _touch(now: number): string {
      // Another tab's later activity wins: tabs share the session.
      // Nothing stored reads as "null" or "undefined", which does not match.
      const stored = /^(.+)\.(\d+)$/.exec(read(store, key) as string);
      if (stored && +stored[2]! >= lastActivity) {
        id = stored[1]!;
        lastActivity = +stored[2]!;
      }
      if (!id || now - lastActivity > timeout) {
        renew(now);
      } else {
        if (now - lastWrite >= WRITE_EVERY_MS) write(now);
        lastActivity = Math.max(lastActivity, now);
      }
      return id;
    },
    _renew: renew,
    /** The tracker touches the session as it starts, so there always is one. */
    _current: () => id,
  };
}
