import { uuid } from './uuid.js';
import type { KeyValueStore } from './store/types.js';

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
  const write = (now: number) => {
    lastWrite = now;
    store.set(key, `${id}.${now}`);
  };
  return {
    /** The session id for a message made at `now`, renewing it when it has expired. */
    touch(now: number): string {
      const stored = store.get(key);
      const dot = stored ? stored.lastIndexOf('.') : -1;
      if (dot > 0) {
        const storedActivity = Number(stored!.slice(dot + 1));
        if (storedActivity >= lastActivity) {
          id = stored!.slice(0, dot);
          lastActivity = storedActivity;
        }
      }
      if (!id || now - lastActivity > timeout) {
        id = uuid();
        write(now);
      } else if (now - lastWrite >= WRITE_EVERY_MS) {
        write(now);
      }
      lastActivity = Math.max(lastActivity, now);
      return id;
    },
    /** Starts a new session now (logout). */
    renew(now: number): string {
      id = uuid();
      lastActivity = now;
      write(now);
      return id;
    },
    current: () => id || null,
  };
}
